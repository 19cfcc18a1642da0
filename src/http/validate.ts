import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

/** Parses request input with its schema; failures name each field and why, as a 400 validation_error. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || where,
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw new AppError('validation_error', `Invalid ${where}: ${summary}.`, { fields });
}
