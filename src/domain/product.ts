export const PRODUCTS = ['jira', 'confluence'] as const;

export type Product = (typeof PRODUCTS)[number];

export function isProduct(value: unknown): value is Product {
  return typeof value === 'string' && (PRODUCTS as readonly string[]).includes(value);
}

export const PRODUCT_NAMES: Readonly<Record<Product, string>> = { jira: 'Jira', confluence: 'Confluence' };
