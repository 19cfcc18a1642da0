/**
 * Public facts about an Atlassian site. `cloudIdOf` answers the site's cloudId, or undefined when the site does
 * not say (unknown site, unreachable); it never throws for those.
 */
export interface SiteDirectory {
  cloudIdOf(host: string): Promise<string | undefined>;
}
