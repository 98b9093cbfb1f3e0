/* QEMU TCG plugin: exact count of executed guest instructions, in total and per region between the entries of
 * two functions (miniml_bench_begin / miniml_bench_end of miniml_bench.h). Debian ships QEMU with plugin support
 * but without qemu-plugin.h, so the few API functions used are declared here (QEMU 7.x plugin API, version 1).
 *
 *   qemu-system-arm ... -plugin build/counters/libqemu_icount.so,begin=0xADDR,end=0xADDR -d plugin
 *   stderr: "miniml-count: region K insns N" per region (instructions from the begin function's first to the end
 *           function's first, both included once), "miniml-count: total insns N" at exit.
 * count.py finds the two addresses with nm. Build: gcc -O2 -shared -fPIC -o libqemu_icount.so qemu_icount.c */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn, enum qemu_plugin_op op, void* ptr,
                                                uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);
void qemu_plugin_outs(const char* string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t g_insns; /* incremented inline before every executed instruction */
static uint64_t g_begin;
static unsigned g_region;
static int g_open;
static uint64_t g_begin_addr = UINT64_MAX;
static uint64_t g_end_addr = UINT64_MAX;

static void on_begin(unsigned int vcpu, void* udata) {
  (void)vcpu;
  (void)udata;
  g_begin = g_insns;
  g_open = 1;
}

static void on_end(unsigned int vcpu, void* udata) {
  char line[96];
  (void)vcpu;
  (void)udata;
  if (!g_open) return;
  g_open = 0;
  snprintf(line, sizeof(line), "miniml-count: region %u insns %" PRIu64 "\n", g_region++, g_insns - g_begin);
  qemu_plugin_outs(line);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t addr = qemu_plugin_insn_vaddr(insn);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_insns, 1);
    if (addr == g_begin_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, 0);
    if (addr == g_end_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, 0);
  }
}

static void on_exit_cb(qemu_plugin_id_t id, void* udata) {
  char line[64];
  (void)id;
  (void)udata;
  snprintf(line, sizeof(line), "miniml-count: total insns %" PRIu64 "\n", g_insns);
  qemu_plugin_outs(line);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc,
                                                               char** argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    /* Thumb function symbols carry bit 0; instruction addresses do not. */
    if (strncmp(argv[i], "begin=", 6) == 0)
      g_begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ULL;
    else if (strncmp(argv[i], "end=", 4) == 0)
      g_end_addr = strtoull(argv[i] + 4, NULL, 0) & ~1ULL;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
  qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
  return 0;
}
