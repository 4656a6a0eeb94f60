// N-API glue of the fp8lm fast CPU path. Only Node's own headers (node_api.h) are needed: the
// C N-API is ABI-stable, so one build works with every Node version that has NAPI_VERSION 8.
//
// The TypeScript wrapper (src/fast/native.ts) validates every argument before it calls in; the checks
// here only guard memory safety (lengths against the extents it is told).
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include "gemm.h"
#include "adamw.h"
#include "elementwise.h"
#include "gelu.h"
#include "layers.h"

namespace {

using fp8lm::Kernel;

const Kernel* current_kernel = nullptr;
int current_threads = 0;

bool cpu_has(const char* isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) return __builtin_cpu_supports("avx512f");
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return std::strcmp(isa, "generic") == 0;
}

// Kernels this build has and this CPU runs, best first.
int available(const Kernel** out) {
  int n = 0;
  if (fp8lm::kernel_avx512() != nullptr && cpu_has("avx512")) out[n++] = fp8lm::kernel_avx512();
  if (fp8lm::kernel_avx2() != nullptr && cpu_has("avx2")) out[n++] = fp8lm::kernel_avx2();
  out[n++] = fp8lm::kernel_generic();
  return n;
}

const Kernel* find_kernel(const char* name) {
  const Kernel* ks[3];
  int n = available(ks);
  for (int i = 0; i < n; i++)
    if (std::strcmp(ks[i]->name, name) == 0) return ks[i];
  return nullptr;
}

void init_defaults() {
  if (current_kernel != nullptr) return;
  const Kernel* ks[3];
  available(ks);
  current_kernel = ks[0];
  const char* forced = std::getenv("FP8LM_CPU_KERNEL");
  if (forced != nullptr && *forced != '\0') {
    const Kernel* k = find_kernel(forced);
    if (k != nullptr) current_kernel = k;
  }
  unsigned hw = std::thread::hardware_concurrency();
  current_threads = hw == 0 ? 1 : static_cast<int>(hw);
  const char* t = std::getenv("FP8LM_CPU_THREADS");
  if (t != nullptr && std::atoi(t) > 0) current_threads = std::atoi(t);
  if (current_threads > 64) current_threads = 64;
}

napi_value throw_error(napi_env env, const char* msg, bool type = true) {
  if (type) {
    napi_throw_type_error(env, nullptr, msg);
  } else {
    napi_throw_range_error(env, nullptr, msg);
  }
  return nullptr;
}

bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

struct View {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_float32_array;
};

bool typed(napi_env env, napi_value v, View& out) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &out.type, &out.length, &out.data, &ab, &offset) == napi_ok;
}

double number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

bool boolean(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

// Reads an operand from args[at..at+6]: data, kind, table, trans, blocks, blockRows, blockCols.
const char* operand(napi_env env, napi_value* args, long rows, long cols, fp8lm::Operand& x) {
  View data, table, blocks;
  if (!typed(env, args[0], data)) return "data: expected a typed array";
  x.data = data.data;
  x.kind = static_cast<int>(number(env, args[1]));
  x.trans = boolean(env, args[3]);
  x.rows = rows;
  x.cols = cols;
  const size_t need = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  if (data.length < need) return "data: shorter than its shape";
  napi_typedarray_type want = x.kind == fp8lm::SRC_F32                                     ? napi_float32_array
                              : x.kind == fp8lm::SRC_BF16 || x.kind == fp8lm::SRC_TABLE16 ? napi_uint16_array
                                                                                          : napi_uint8_array;
  if (data.type != want) return "data: wrong typed array for its kind";
  x.table = nullptr;
  if (x.kind == fp8lm::SRC_TABLE8 || x.kind == fp8lm::SRC_TABLE16) {
    if (!typed(env, args[2], table) || table.type != napi_float32_array ||
        table.length < (x.kind == fp8lm::SRC_TABLE8 ? 256u : 65536u))
      return "table: expected a Float32Array decode table";
    x.table = static_cast<const float*>(table.data);
  }
  x.blocks = nullptr;
  x.br = x.bc = 1;
  if (!is_null(env, args[4])) {
    if (!typed(env, args[4], blocks) || blocks.type != napi_float32_array) return "blocks: expected a Float32Array";
    x.br = static_cast<long>(number(env, args[5]));
    x.bc = static_cast<long>(number(env, args[6]));
    if (x.br < 1 || x.bc < 1) return "blocks: block extents must be positive";
    const size_t grid = static_cast<size_t>((rows + x.br - 1) / x.br) * static_cast<size_t>((cols + x.bc - 1) / x.bc);
    if (blocks.length < grid) return "blocks: shorter than its grid";
    x.blocks = static_cast<const float*>(blocks.data);
  }
  return nullptr;
}

// gemm(aData, aKind, aTable, transA, aBlocks, aBr, aBc,
//      bData, bKind, bTable, transB, bBlocks, bBr, bBc,
//      c, m, n, k, alpha, beta, bias)
napi_value Gemm(napi_env env, napi_callback_info info) {
  init_defaults();
  size_t argc = 21;
  napi_value args[21];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < 21) return throw_error(env, "gemm: expected 21 arguments");
  fp8lm::GemmArgs g{};
  g.m = static_cast<long>(number(env, args[15]));
  g.n = static_cast<long>(number(env, args[16]));
  g.k = static_cast<long>(number(env, args[17]));
  if (g.m < 0 || g.n < 0 || g.k < 0) return throw_error(env, "gemm: negative extent", false);
  const bool ta = boolean(env, args[3]), tb = boolean(env, args[10]);
  const char* err = operand(env, args, ta ? g.k : g.m, ta ? g.m : g.k, g.a);
  if (err != nullptr) return throw_error(env, (std::string("a.") + err).c_str());
  err = operand(env, args + 7, tb ? g.n : g.k, tb ? g.k : g.n, g.b);
  if (err != nullptr) return throw_error(env, (std::string("b.") + err).c_str());
  View c, bias;
  if (!typed(env, args[14], c) || c.type != napi_float32_array ||
      c.length < static_cast<size_t>(g.m) * static_cast<size_t>(g.n))
    return throw_error(env, "c: expected a Float32Array of m * n elements");
  g.c = static_cast<float*>(c.data);
  g.alpha = static_cast<float>(number(env, args[18]));
  g.beta = static_cast<float>(number(env, args[19]));
  g.bias = nullptr;
  if (!is_null(env, args[20])) {
    if (!typed(env, args[20], bias) || bias.type != napi_float32_array || bias.length < static_cast<size_t>(g.n))
      return throw_error(env, "bias: expected a Float32Array of n elements");
    g.bias = static_cast<const float*>(bias.data);
  }
  try {
    fp8lm::gemm(g, *current_kernel, current_threads);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("gemm: ") + e.what()).c_str());
  }
  return nullptr;
}

// A Float32Array argument with at least `need` elements, or null (and a TypeError thrown).
float* f32_arg(napi_env env, napi_value v, double need, const char* name) {
  View view;
  if (!typed(env, v, view) || view.type != napi_float32_array || static_cast<double>(view.length) < need) {
    throw_error(env, (std::string(name) + ": expected a Float32Array of the op's size").c_str());
    return nullptr;
  }
  return static_cast<float*>(view.data);
}

template <size_t N>
bool get_args(napi_env env, napi_callback_info info, napi_value (&args)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < N) {
    throw_error(env, "expected more arguments");
    return false;
  }
  return true;
}

// Reads K Float32Array arguments of n elements each (a TypeError names the first that is not).
template <size_t K>
bool f32_arrays(napi_env env, const napi_value* a, const char* const (&names)[K], double n, float* (&out)[K]) {
  for (size_t i = 0; i < K; i++)
    if ((out[i] = f32_arg(env, a[i], n, names[i])) == nullptr) return false;
  return true;
}

// layernormForward(x, weight, bias, out, mean, rstd, rows, C, eps)
napi_value LayernormForward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[9];
  if (!get_args(env, info, a)) return nullptr;
  const long rows = static_cast<long>(number(env, a[6])), C = static_cast<long>(number(env, a[7]));
  const double n = static_cast<double>(rows) * C;
  float* p[6];
  const char* names[6] = {"x", "weight", "bias", "out", "mean", "rstd"};
  const double need[6] = {n, double(C), double(C), n, double(rows), double(rows)};
  for (int i = 0; i < 6; i++)
    if ((p[i] = f32_arg(env, a[i], need[i], names[i])) == nullptr) return nullptr;
  fp8lm::layernorm_forward(p[0], p[1], p[2], p[3], p[4], p[5], rows, C, static_cast<float>(number(env, a[8])),
                           current_threads);
  return nullptr;
}

// layernormBackward(dout, x, weight, mean, rstd, dx, dweight, dbias, rows, C)
napi_value LayernormBackward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[10];
  if (!get_args(env, info, a)) return nullptr;
  const long rows = static_cast<long>(number(env, a[8])), C = static_cast<long>(number(env, a[9]));
  const double n = static_cast<double>(rows) * C;
  float* p[8];
  const char* names[8] = {"dout", "x", "weight", "mean", "rstd", "dx", "dweight", "dbias"};
  const double need[8] = {n, n, double(C), double(rows), double(rows), n, double(C), double(C)};
  for (int i = 0; i < 8; i++)
    if ((p[i] = f32_arg(env, a[i], need[i], names[i])) == nullptr) return nullptr;
  fp8lm::layernorm_backward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], rows, C, current_threads);
  return nullptr;
}

bool attention_dims(napi_env env, napi_value* a, long& B, long& T, long& C, long& NH) {
  B = static_cast<long>(number(env, a[0]));
  T = static_cast<long>(number(env, a[1]));
  C = static_cast<long>(number(env, a[2]));
  NH = static_cast<long>(number(env, a[3]));
  if (B < 0 || T < 0 || C < 0 || NH < 1 || C % NH != 0) {
    throw_error(env, "attention: bad B, T, C or NH", false);
    return false;
  }
  return true;
}

// attentionForward(qkv, out, att, B, T, C, NH)
napi_value AttentionForward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[7];
  long B, T, C, NH;
  if (!get_args(env, info, a) || !attention_dims(env, a + 3, B, T, C, NH)) return nullptr;
  const double bt = static_cast<double>(B) * T;
  float *qkv, *out, *att;
  if ((qkv = f32_arg(env, a[0], bt * 3 * C, "qkv")) == nullptr ||
      (out = f32_arg(env, a[1], bt * C, "out")) == nullptr ||
      (att = f32_arg(env, a[2], bt * NH * T, "att")) == nullptr)
    return nullptr;
  fp8lm::attention_forward(qkv, out, att, B, T, C, NH, current_threads);
  return nullptr;
}

// attentionBackward(dout, qkv, att, dqkv, B, T, C, NH)
napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[8];
  long B, T, C, NH;
  if (!get_args(env, info, a) || !attention_dims(env, a + 4, B, T, C, NH)) return nullptr;
  const double bt = static_cast<double>(B) * T;
  float *dout, *qkv, *att, *dqkv;
  if ((dout = f32_arg(env, a[0], bt * C, "dout")) == nullptr ||
      (qkv = f32_arg(env, a[1], bt * 3 * C, "qkv")) == nullptr ||
      (att = f32_arg(env, a[2], bt * NH * T, "att")) == nullptr ||
      (dqkv = f32_arg(env, a[3], bt * 3 * C, "dqkv")) == nullptr)
    return nullptr;
  fp8lm::attention_backward(dout, qkv, att, dqkv, B, T, C, NH, current_threads);
  return nullptr;
}

// geluForward(x, out, n)
napi_value GeluForward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[3];
  float* p[2];
  if (!get_args(env, info, a) || !f32_arrays(env, a, {"x", "out"}, number(env, a[2]), p)) return nullptr;
  fp8lm::gelu_forward(p[0], p[1], static_cast<long>(number(env, a[2])), current_threads);
  return nullptr;
}

// geluBackward(dout, x, dx, n)
napi_value GeluBackward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  float* p[3];
  if (!get_args(env, info, a) || !f32_arrays(env, a, {"dout", "x", "dx"}, number(env, a[3]), p)) return nullptr;
  fp8lm::gelu_backward(p[0], p[1], p[2], static_cast<long>(number(env, a[3])), current_threads);
  return nullptr;
}

// countCodes(codes, classes, out, index): out[index], out[index + 1] = the zero and saturated counts
napi_value CountCodes(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  if (!get_args(env, info, a)) return nullptr;
  View codes, classes, out;
  if (!typed(env, a[0], codes) || (codes.type != napi_uint8_array && codes.type != napi_uint16_array))
    return throw_error(env, "codes: expected a Uint8Array or a Uint16Array");
  const bool wide = codes.type == napi_uint16_array;
  if (!typed(env, a[1], classes) || classes.type != napi_uint8_array || classes.length < (wide ? 65536u : 256u))
    return throw_error(env, "classes: expected a Uint8Array with an entry for every stored code");
  const double index = number(env, a[3]);
  if (!typed(env, a[2], out) || out.type != napi_int32_array || !(index >= 0) || index + 1 >= out.length)
    return throw_error(env, "out: expected an Int32Array with slots index and index + 1");
  long counts[2];
  fp8lm::count_codes(codes.data, wide, static_cast<long>(codes.length), static_cast<const uint8_t*>(classes.data),
                     counts, current_threads);
  int32_t* o = static_cast<int32_t*>(out.data) + static_cast<long>(index);
  o[0] = static_cast<int32_t>(counts[0]);
  o[1] = static_cast<int32_t>(counts[1]);
  return nullptr;
}

// dequantizeTable(codes, table, scaleInv, out)
napi_value DequantizeTable(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  if (!get_args(env, info, a)) return nullptr;
  View codes, table, out;
  if (!typed(env, a[0], codes) || (codes.type != napi_uint8_array && codes.type != napi_uint16_array))
    return throw_error(env, "codes: expected a Uint8Array or a Uint16Array");
  const bool wide = codes.type == napi_uint16_array;
  if (!typed(env, a[1], table) || table.type != napi_float32_array || table.length < (wide ? 65536u : 256u))
    return throw_error(env, "table: expected a Float32Array with an entry for every stored code");
  if (!typed(env, a[3], out) || out.type != napi_float32_array || out.length < codes.length)
    return throw_error(env, "out: expected a Float32Array as long as codes");
  fp8lm::dequantize_table(codes.data, wide, static_cast<long>(codes.length), static_cast<const float*>(table.data),
                          number(env, a[2]), static_cast<float*>(out.data), current_threads);
  return nullptr;
}

// amaxF32(x) -> max |x|
napi_value AmaxF32(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[1];
  if (!get_args(env, info, a)) return nullptr;
  View x;
  if (!typed(env, a[0], x) || x.type != napi_float32_array) return throw_error(env, "x: expected a Float32Array");
  napi_value result;
  napi_create_double(env, fp8lm::amax_f32(static_cast<const float*>(x.data), static_cast<long>(x.length), current_threads),
                     &result);
  return result;
}

// residualForward(a, b, out, n)
napi_value ResidualForward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  float* p[3];
  if (!get_args(env, info, a) || !f32_arrays(env, a, {"a", "b", "out"}, number(env, a[3]), p)) return nullptr;
  fp8lm::residual_forward(p[0], p[1], p[2], static_cast<long>(number(env, a[3])), current_threads);
  return nullptr;
}

// residualBackward(dout, da, db, n)
napi_value ResidualBackward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  float* p[3];
  if (!get_args(env, info, a) || !f32_arrays(env, a, {"dout", "da", "db"}, number(env, a[3]), p)) return nullptr;
  fp8lm::residual_backward(p[0], p[1], p[2], static_cast<long>(number(env, a[3])), current_threads);
  return nullptr;
}

// biasAdd(x, bias, out, rows, C)
napi_value BiasAdd(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[5];
  if (!get_args(env, info, a)) return nullptr;
  const long rows = static_cast<long>(number(env, a[3])), C = static_cast<long>(number(env, a[4]));
  if (rows < 0 || C < 1) return throw_error(env, "biasAdd: bad rows or C", false);
  const double n = static_cast<double>(rows) * C;
  float *x, *bias, *out;
  if ((x = f32_arg(env, a[0], n, "x")) == nullptr || (bias = f32_arg(env, a[1], C, "bias")) == nullptr ||
      (out = f32_arg(env, a[2], n, "out")) == nullptr)
    return nullptr;
  fp8lm::bias_add(x, bias, out, rows, C, current_threads);
  return nullptr;
}

// biasBackward(dout, dbias, rows, C)
napi_value BiasBackward(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  if (!get_args(env, info, a)) return nullptr;
  const long rows = static_cast<long>(number(env, a[2])), C = static_cast<long>(number(env, a[3]));
  if (rows < 0 || C < 0) return throw_error(env, "biasBackward: bad rows or C", false);
  float *d, *db;
  if ((d = f32_arg(env, a[0], static_cast<double>(rows) * C, "dout")) == nullptr ||
      (db = f32_arg(env, a[1], C, "dbias")) == nullptr)
    return nullptr;
  fp8lm::bias_backward(d, db, rows, C, current_threads);
  return nullptr;
}

// quantizeTable8(src, dst, table, scale) -> amax
napi_value QuantizeTable8(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[4];
  if (!get_args(env, info, a)) return nullptr;
  View src, dst, table;
  if (!typed(env, a[0], src) || src.type != napi_float32_array) return throw_error(env, "src: expected a Float32Array");
  if (!typed(env, a[1], dst) || dst.type != napi_uint8_array || dst.length < src.length)
    return throw_error(env, "dst: expected a Uint8Array as long as src");
  if (!typed(env, a[2], table) || table.type != napi_uint8_array || table.length < (1u << 17))
    return throw_error(env, "table: expected the 2^17-entry Uint8Array encode table");
  const double amax =
      fp8lm::quantize_table8(static_cast<const float*>(src.data), static_cast<uint8_t*>(dst.data),
                             static_cast<const uint8_t*>(table.data), static_cast<long>(src.length), number(env, a[3]),
                             current_threads);
  napi_value result;
  napi_create_double(env, amax, &result);
  return result;
}

// quantizeHalf(src, dst, scale, bf16, saturate) -> amax
napi_value QuantizeHalf(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[5];
  if (!get_args(env, info, a)) return nullptr;
  View src, dst;
  if (!typed(env, a[0], src) || src.type != napi_float32_array) return throw_error(env, "src: expected a Float32Array");
  if (!typed(env, a[1], dst) || dst.type != napi_uint16_array || dst.length < src.length)
    return throw_error(env, "dst: expected a Uint16Array as long as src");
  const double amax = fp8lm::quantize_half(static_cast<const float*>(src.data), static_cast<uint16_t*>(dst.data),
                                           static_cast<long>(src.length), number(env, a[2]), boolean(env, a[3]),
                                           boolean(env, a[4]), current_threads);
  napi_value result;
  napi_create_double(env, amax, &result);
  return result;
}

napi_value property(napi_env env, napi_value obj, const char* name) {
  napi_value v = nullptr;
  napi_get_named_property(env, obj, name, &v);
  return v;
}

// Reads a state tensor of n elements from { data, decode, scaleInv, cast, encode, scale }; returns
// what is wrong with it, or null.
const char* state_tensor(napi_env env, napi_value obj, long n, fp8lm::StateTensor& t) {
  View data, decode, encode;
  if (!typed(env, property(env, obj, "data"), data) || data.length < static_cast<size_t>(n))
    return "data: expected a typed array of n elements";
  t.data = data.data;
  t.stored = data.type == napi_float32_array ? 0 : data.type == napi_uint16_array ? 1 : data.type == napi_uint8_array ? 2 : -1;
  if (t.stored < 0) return "data: expected a Float32Array, Uint16Array or Uint8Array";
  t.decode = nullptr;
  if (t.stored != 0) {
    if (!typed(env, property(env, obj, "decode"), decode) || decode.type != napi_float32_array ||
        decode.length < (t.stored == 1 ? 65536u : 256u))
      return "decode: expected a Float32Array with an entry for every stored code";
    t.decode = static_cast<const float*>(decode.data);
  }
  t.scale_inv = number(env, property(env, obj, "scaleInv"));
  t.scale = number(env, property(env, obj, "scale"));
  t.cast = static_cast<int>(number(env, property(env, obj, "cast")));
  const int want = t.cast == 0 ? 0 : t.cast == 3 ? 2 : 1;
  if (t.cast < 0 || t.cast > 3 || want != t.stored) return "cast: does not match the stored element";
  t.encode = nullptr;
  if (t.cast == 3) {
    if (!typed(env, property(env, obj, "encode"), encode) || encode.type != napi_uint8_array ||
        encode.length < (1u << 17))
      return "encode: expected the 2^17-entry Uint8Array encode table";
    t.encode = static_cast<const uint8_t*>(encode.data);
  }
  return nullptr;
}

// Reads a grouped moment of n elements from { size, max, exponent, stats | nextMax, nextExponent }
// (stage 1 writes stats, stage 2 reads the next ones); returns what is wrong with it, or null.
const char* moment_groups(napi_env env, napi_value obj, long n, bool apply, fp8lm::MomentGroups& g) {
  const double size = number(env, property(env, obj, "size"));
  if (!(size >= 1) || size > 9007199254740991.0) return "size: expected a positive integer";
  g.size = static_cast<long>(size);
  const double count = static_cast<double>((n + g.size - 1) / g.size);
  const char* names[3] = {"max", "exponent", apply ? "nextMax" : "stats"};
  float* arrays[3];
  for (int i = 0; i < 3; i++) {
    View view;
    const double need = i == 2 && !apply ? 2 * count : count;
    if (!typed(env, property(env, obj, names[i]), view) || view.type != napi_float32_array ||
        static_cast<double>(view.length) < need)
      return "expected Float32Arrays of one element per group (stats: two)";
    arrays[i] = static_cast<float*>(view.data);
  }
  g.max = arrays[0];
  g.exponent = arrays[1];
  if (apply) {
    View view;
    if (!typed(env, property(env, obj, "nextExponent"), view) || view.type != napi_float32_array ||
        static_cast<double>(view.length) < count)
      return "nextExponent: expected a Float32Array of one element per group";
    g.next_max = arrays[2];
    g.next_exponent = static_cast<const float*>(view.data);
  } else {
    g.stats = arrays[2];
  }
  return nullptr;
}

// adamw(apply, n, master, grad, m, v, hyper, stats, groups): stage 1 (apply false) writes stats[0..2]
// (and the group stats), stage 2 the state. hyper = [lr, beta1, beta2, eps, weightDecay, correction1,
// correction2, gradMultiplier, decoupled]; groups is null for an ungrouped v.
napi_value AdamW(napi_env env, napi_callback_info info) {
  init_defaults();
  napi_value a[9];
  if (!get_args(env, info, a)) return nullptr;
  const bool apply = boolean(env, a[0]);
  const double count = number(env, a[1]);
  if (!(count >= 0) || count > 9007199254740991.0) return throw_error(env, "adamw: bad n", false);
  const long n = static_cast<long>(count);
  fp8lm::StateTensor t[4];
  const char* names[4] = {"master", "grad", "m", "v"};
  for (int i = 0; i < 4; i++) {
    const char* err = state_tensor(env, a[2 + i], n, t[i]);
    if (err != nullptr) return throw_error(env, (std::string(names[i]) + "." + err).c_str());
  }
  View hyper;
  if (!typed(env, a[6], hyper) || hyper.type != napi_float64_array || hyper.length < 9)
    return throw_error(env, "hyper: expected a Float64Array of 9 elements");
  const double* hp = static_cast<const double*>(hyper.data);
  const fp8lm::AdamWHyper h{hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6], hp[7], hp[8] != 0};
  fp8lm::MomentGroups groups;
  const bool grouped = !is_null(env, a[8]);
  if (grouped) {
    const char* err = moment_groups(env, a[8], n, apply, groups);
    if (err != nullptr) return throw_error(env, (std::string("groups.") + err).c_str());
    if (t[3].stored != 2 || t[3].cast != 3) return throw_error(env, "v: a grouped moment is stored as byte codes");
  }
  if (apply) {
    fp8lm::adamw_apply(t[0], t[1], t[2], t[3], grouped ? &groups : nullptr, h, n, current_threads);
    return nullptr;
  }
  float* stats = f32_arg(env, a[7], 3, "stats");
  if (stats == nullptr) return nullptr;
  fp8lm::adamw_stats(t[0], t[1], t[2], t[3], grouped ? &groups : nullptr, h, n, stats, current_threads);
  return nullptr;
}

napi_value make_info(napi_env env) {
  napi_value obj, name, threads, list, mr, nr;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, current_kernel->name, NAPI_AUTO_LENGTH, &name);
  napi_create_int32(env, current_threads, &threads);
  napi_create_int32(env, current_kernel->mr, &mr);
  napi_create_int32(env, current_kernel->nr, &nr);
  const Kernel* ks[3];
  int n = available(ks);
  napi_create_array_with_length(env, static_cast<size_t>(n), &list);
  for (int i = 0; i < n; i++) {
    napi_value s;
    napi_create_string_utf8(env, ks[i]->name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, static_cast<uint32_t>(i), s);
  }
  napi_set_named_property(env, obj, "kernel", name);
  napi_set_named_property(env, obj, "kernels", list);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "mr", mr);
  napi_set_named_property(env, obj, "nr", nr);
  return obj;
}

// info() → { kernel, kernels, threads, mr, nr }
napi_value Info(napi_env env, napi_callback_info) {
  init_defaults();
  return make_info(env);
}

// configure(kernel: string | null, threads: number) → info(); unknown kernel names throw.
napi_value Configure(napi_env env, napi_callback_info info) {
  init_defaults();
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc >= 1 && !is_null(env, args[0])) {
    char name[32];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, args[0], name, sizeof name, &len) != napi_ok)
      return throw_error(env, "kernel: expected a string");
    const Kernel* k = find_kernel(name);
    if (k == nullptr) return throw_error(env, "kernel: not available on this CPU or in this build", false);
    current_kernel = k;
  }
  if (argc >= 2 && !is_null(env, args[1])) {
    int t = static_cast<int>(number(env, args[1]));
    if (t < 1 || t > 64) return throw_error(env, "threads: expected an integer in 1..64", false);
    current_threads = t;
  }
  return make_info(env);
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"layernormForward", nullptr, LayernormForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"layernormBackward", nullptr, LayernormBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attentionForward", nullptr, AttentionForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attentionBackward", nullptr, AttentionBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"geluForward", nullptr, GeluForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"geluBackward", nullptr, GeluBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"quantizeTable8", nullptr, QuantizeTable8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"quantizeHalf", nullptr, QuantizeHalf, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countCodes", nullptr, CountCodes, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"dequantizeTable", nullptr, DequantizeTable, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"amaxF32", nullptr, AmaxF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualForward", nullptr, ResidualForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualBackward", nullptr, ResidualBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"biasAdd", nullptr, BiasAdd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"biasBackward", nullptr, BiasBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  // Version of the JS <-> C calling convention; src/fast/native.ts refuses an addon with another one.
  napi_value abi;
  napi_create_int32(env, 5, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  return exports;
}
