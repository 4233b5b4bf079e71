import type { BuiltinFamily } from './common.js';
export const cryptoBuiltins: BuiltinFamily = {};
