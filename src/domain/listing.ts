/** A Jira project: the fields a frontend needs to show and link one (their wire names are src/http's business). */
export interface Project {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type?: string;
  readonly style?: string;
  /** HTTPS address of the project's 48×48 avatar. */
  readonly avatarUrl?: string;
  readonly url?: string;
}

/** A Confluence space. */
export interface Space {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type?: string;
  readonly status?: string;
  readonly url?: string;
}
