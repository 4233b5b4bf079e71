// Builtin errors: abort (strict builtin errors) or make the call undefined.
import { abortBytes, rt_strict } from "./alloc";
import { bufAscii, bufByte, bufBytes, bufNew, bufU64 } from "./buf";
import { T_ARR, T_BOOL, T_NULL, T_NUM, T_OBJ, T_SET, T_STR, tag } from "./value";

export function typeName(v: usize): string {
  if (v == 0) return "undefined";
  switch (tag(v)) {
    case T_NULL: return "null";
    case T_BOOL: return "boolean";
    case T_NUM: return "number";
    case T_STR: return "string";
    case T_ARR: return "array";
    case T_OBJ: return "object";
    case T_SET: return "set";
  }
  return "unknown";
}

/** `eval_type_error: <name>: operand <n> must be <want> but got <type of v>`; returns 0. */
export function typeError(name: string, operand: u32, want: string, v: usize): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": operand ");
  bufU64(b, operand);
  bufAscii(b, " must be ");
  bufAscii(b, want);
  bufAscii(b, " but got ");
  bufAscii(b, typeName(v));
  abortBytes("eval_type_error: ", load<u32>(b), load<u32>(b, 4));
  return 0;
}

/** `eval_type_error: <name>: operand <n> must be integer number but got floating-point number`. */
export function intError(name: string, operand: u32): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": operand ");
  bufU64(b, operand);
  bufAscii(b, " must be integer number but got floating-point number");
  abortBytes("eval_type_error: ", load<u32>(b), load<u32>(b, 4));
  return 0;
}

/** `eval_type_error: <name>: <message>` with a message of its own; returns 0. */
export function typeErrorText(name: string, message: string): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": ");
  bufAscii(b, message);
  abortBytes("eval_type_error: ", load<u32>(b), load<u32>(b, 4));
  return 0;
}

/** `eval_builtin_error: <name>: <message>`; returns 0. */
export function builtinError(name: string, message: string): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": ");
  bufAscii(b, message);
  abortBytes("eval_builtin_error: ", load<u32>(b), load<u32>(b, 4));
  return 0;
}

/** Like builtinError with a message given as bytes (e.g. built at run time). */
export function builtinErrorBytes(name: string, message: string, extra: usize, len: usize): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": ");
  bufAscii(b, message);
  bufBytes(b, extra, len);
  bufByte(b, 0);
  abortBytes("eval_builtin_error: ", load<u32>(b), load<u32>(b, 4) - 1);
  return 0;
}

/** `eval_type_error: <name>: ` followed by `len` bytes of message; returns 0. */
export function typeErrorBytes(name: string, msg: usize, len: usize): usize {
  if (!rt_strict) return 0;
  const b = bufNew(96);
  bufAscii(b, name);
  bufAscii(b, ": ");
  bufBytes(b, msg, len);
  abortBytes("eval_type_error: ", load<u32>(b), load<u32>(b, 4));
  return 0;
}
