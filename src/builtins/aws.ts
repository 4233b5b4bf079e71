import type { BuiltinFamily } from './common.js';
export const awsBuiltins: BuiltinFamily = {};
