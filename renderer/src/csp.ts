// Imported FIRST by main.tsx. Zod 4 compiles fast validators with `new Function`, which
// our CSP (script-src 'self', no 'unsafe-eval') forbids; jitless makes it interpret
// schemas instead, and skips the eval probe that would report a CSP violation. Each
// schema reads the flag when it is constructed, so this must run before any module that
// builds schemas (common/src/api/*) is evaluated: ES modules evaluate in import order.
import { z } from 'zod';

z.config({ jitless: true });
