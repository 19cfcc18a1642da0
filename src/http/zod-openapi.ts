import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` to zod schemas; every HTTP schema imports `z` from here so the extension is always loaded.
extendZodWithOpenApi(z);

export { z };
