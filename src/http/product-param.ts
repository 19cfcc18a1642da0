import { AppError } from '../domain/errors.js';
import { isProduct, type Product } from '../domain/product.js';

/** An unknown product is an unknown path, not a bad request. */
export function productParam(value: string | undefined): Product {
  if (!isProduct(value)) throw new AppError('not_found', 'No such endpoint. Products are "jira" and "confluence".');
  return value;
}
