import { z } from 'zod';

/** One board command's schema: its `type` literal plus its fields, nothing else accepted. */
export const commandSchema = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.object({ type: z.literal(type), ...shape }).strict();
