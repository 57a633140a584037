/* A qemu-user TCG plugin that counts guest instructions executed, for instruction counts of
 * the aarch64 runner under emulation (docs/benchmarks.md). At every translated block it adds
 * the block's instruction count inline to one counter (a single-threaded guest: the runner at
 * one thread), and to a second one when the block belongs to the runner's preprocessing (the
 * input checks and every preprocessing version: functions of quakesat::preprocess_image,
 * scan_image and, for same-track pairs, interferogram_features and the same-track checks, by the symbol qemu finds for the block's first instruction in the runner binary).
 * At exit it prints "instructions: N" and "preprocess: M" through qemu's log (-d plugin).
 *
 *   gcc -shared -fPIC -O2 -o libinsncount.so bench/native/qemu_insn_count.c
 *   qemu-aarch64 -cpu cortex-a72 -plugin ./libinsncount.so -d plugin -D count.log PROGRAM ...
 *
 * Only the handful of API functions used are declared here (QEMU plugin API version 1, as in
 * QEMU 7.2, docs/devel/tcg-plugins); QEMU resolves them when it loads the plugin. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t executed, preprocess;

/* Mangled-name prefixes of the preprocessing code in the runner (cpp_runner/src/preprocess.cpp,
 * validate.cpp): the public functions and the file-local helpers they call. */
static const char *const kPreprocessSymbols[] = {
    "_ZN8quakesat16preprocess_image", "_ZN8quakesat10scan_image", "_ZN8quakesat12_GLOBAL__N_18scan_row",
    "_ZN8quakesat12_GLOBAL__N_110finish_row", "_ZN8quakesat12_GLOBAL__N_110count_rows",
    "_ZN8quakesat12_GLOBAL__N_113preprocess_v1", "_ZN8quakesat12_GLOBAL__N_111log2_approx",
    /* preprocessing version 3 (interferogram.cpp, same_track.cpp): the fused formation and scan, the verdict */
    "_ZN8quakesat22interferogram_features", "_ZN8quakesat19scan_same_track_row", "_ZN8quakesat20scan_same_track_rows",
    "_ZN8quakesat22judge_same_track_image", "_ZN8quakesat21judge_same_track_pair", "_ZN8quakesat14check_coherence",
    "_ZN8quakesat12_GLOBAL__N_18has_fill", "_ZN8quakesat12_GLOBAL__N_114row_too_bright",
    "_ZN8quakesat12_GLOBAL__N_15merge"};

static int is_preprocess(const char *symbol) {
  if (symbol == NULL) return 0;
  for (size_t i = 0; i < sizeof kPreprocessSymbols / sizeof kPreprocessSymbols[0]; ++i) {
    if (strncmp(symbol, kPreprocessSymbols[i], strlen(kPreprocessSymbols[i])) == 0) return 1;
  }
  return 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
  if (n > 0 && is_preprocess(qemu_plugin_insn_symbol(qemu_plugin_tb_get_insn(tb, 0)))) {
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &preprocess, n);
  }
}

static void on_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  char line[96];
  snprintf(line, sizeof line, "instructions: %" PRIu64 "\npreprocess: %" PRIu64 "\n", executed, preprocess);
  qemu_plugin_outs(line);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
  (void)info;
  (void)argc;
  (void)argv;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
