/* Power cuts on the real Arduino EEPROM library, in libsimavr. simavr commits an EEPROM byte at the very
 * cycle the firmware strobes EEPE (the ~3.4 ms programming time only delays the ready interrupt), so the
 * EEPROM image is constant between two write completions: cutting after every write completion covers every
 * cycle of a save(). Each write is also cut *during* its programming time, the cell left erased (0xFF), as a
 * real ATmega328P may leave it.
 *
 * The sketch (sketch/src/main.cpp) prints "L <status> <hex>" after its boot-time load(), "S <hex>" before
 * each save() (the payload it saves), "D <status>" after, "END" when done. Phase 1 runs it from an erased
 * EEPROM, logging every EEPROM write and the save it belongs to. Phase 2 restarts it from the EEPROM image of
 * each cut point and checks its boot-time load(): the previous save or the new one, bit-exact (once the
 * save's last write landed: the new one), never empty once a save had completed.
 *
 *   powercut [-s STRIDE] [-o OFFSET] firmware.elf     try cut points k with k % STRIDE == OFFSET (default
 * all) stdout: "powercut: saves S writes W cut_points P tried T losses L save_cycles C" (C: cycles of the
 * longest save() call), one "LOSS ..." line per loss. Exit 0 if no loss, 1 if any, 2 on a harness error.
 * Build: gcc -O2 -I/usr/include/simavr -I<miniml-simavr/host> powercut.c -lsimavr -lelf */
#include <stdint.h>
#include <stdlib.h>

#include "avr_eeprom.h"
#include "simavr_host.h"

#define EECR_ADDR 0x3F
#define EEARL_ADDR 0x41
#define EEARH_ADDR 0x42
#define EEPE_BIT 1
#define EEMPE_BIT 2
#define EE_SIZE 1024
#define MAX_WRITES 65536
#define MAX_SAVES 256
#define LINE_MAX_LEN 4096

typedef struct {
  uint16_t addr;
  uint8_t value, old;
  int save; /* index of the save in progress, -1 outside */
} ee_write_t;

static avr_t* g_avr;
static uint8_t* g_ee;
static avr_io_write_t g_ee_handler;
static void* g_ee_param;
static ee_write_t g_writes[MAX_WRITES];
static int g_nwrites, g_recording, g_current_save = -1;
static char g_line[LINE_MAX_LEN];
static int g_len, g_line_ready;
static char* g_saves[MAX_SAVES]; /* payload hex of each save */
static int g_nsaves, g_done, g_completed[MAX_SAVES];
static avr_cycle_count_t g_save_start, g_save_cycles;

/* Wraps the EEPROM module's EECR handler: a write completes when EEPE is strobed with EEMPE set. */
static void on_eecr(struct avr_t* avr, avr_io_addr_t addr, uint8_t v, void* param) {
  int writing = (avr->data[EECR_ADDR] & (1 << EEMPE_BIT)) && (v & (1 << EEPE_BIT));
  uint16_t ee_addr = (uint16_t)(avr->data[EEARL_ADDR] | (avr->data[EEARH_ADDR] << 8));
  uint8_t old = g_ee[ee_addr % EE_SIZE];
  g_ee_handler(avr, addr, v, param);
  if (writing && g_recording) {
    if (g_nwrites == MAX_WRITES) {
      fprintf(stderr, "powercut: more than %d EEPROM writes\n", MAX_WRITES);
      exit(2);
    }
    ee_write_t* w = &g_writes[g_nwrites++];
    w->addr = ee_addr % EE_SIZE;
    w->value = g_ee[w->addr];
    w->old = old;
    w->save = g_current_save;
  }
}

static void on_line(void) {
  if (!g_recording) return;
  if (g_line[0] == 'S' && g_line[1] == ' ') {
    if (g_nsaves == MAX_SAVES) exit(2);
    g_saves[g_nsaves] = strdup(g_line + 2);
    g_current_save = g_nsaves++;
    g_save_start = g_avr->cycle;
  } else if (g_line[0] == 'D' && g_line[1] == ' ' && g_current_save >= 0) {
    g_completed[g_current_save] = atoi(g_line + 2) == 0;
    if (g_avr->cycle - g_save_start > g_save_cycles) g_save_cycles = g_avr->cycle - g_save_start;
    g_current_save = -1;
  } else if (strcmp(g_line, "END") == 0) {
    g_done = 1;
  }
}

static void on_uart(struct avr_irq_t* irq, uint32_t value, void* param) {
  (void)irq;
  (void)param;
  char c = (char)(value & 0xFF);
  if (c == '\r') return;
  if (c == '\n') {
    g_line[g_len] = 0;
    g_len = 0;
    g_line_ready = 1;
    on_line();
    if (!g_recording && g_line[0] == 'L') g_done = 1;
    return;
  }
  if (g_len < LINE_MAX_LEN - 1) g_line[g_len++] = c;
}

/* A fresh MCU running the sketch from `image`; runs until the sketch's END (recording) or its boot-time L
 * line (replay). 0 on success. */
static int run(elf_firmware_t* fw, const uint8_t* image, int recording) {
  g_avr = miniml_make_avr("atmega328p", 16000000, fw, on_uart, NULL);
  if (!g_avr) return -1;
  avr_eeprom_desc_t desc = {NULL, 0, 0};
  avr_ioctl(g_avr, AVR_IOCTL_EEPROM_GET, &desc);
  g_ee = desc.ee;
  memcpy(g_ee, image, EE_SIZE);
  g_ee_handler = g_avr->io[AVR_DATA_TO_IO(EECR_ADDR)].w.c;
  g_ee_param = g_avr->io[AVR_DATA_TO_IO(EECR_ADDR)].w.param;
  g_avr->io[AVR_DATA_TO_IO(EECR_ADDR)].w.c = on_eecr;
  g_recording = recording;
  g_done = 0;
  g_len = 0;
  g_line[0] = 0;
  const avr_cycle_count_t limit = recording ? 16000000ULL * 600 : 16000000ULL * 10;
  int state = cpu_Running;
  while (!g_done && state != cpu_Done && state != cpu_Crashed && g_avr->cycle < limit) state = avr_run(g_avr);
  int ok = g_done ? 0 : -1;
  if (!g_done)
    fprintf(stderr, "powercut: the sketch stopped (state %d) after %llu cycles\n", state,
            (unsigned long long)g_avr->cycle);
  avr_terminate(g_avr);
  return ok;
}

/* The image after the first `n` writes, the n-th of them torn (cell erased) when `torn`. */
static void image_at(uint8_t* image, int n, int torn) {
  memset(image, 0xFF, EE_SIZE);
  for (int i = 0; i < n; ++i) image[g_writes[i].addr] = g_writes[i].value;
  if (torn && n > 0) image[g_writes[n - 1].addr] = 0xFF;
}

int main(int argc, char** argv) {
  long stride = 1, offset = 0;
  int opt;
  while ((opt = getopt(argc, argv, "s:o:")) != -1) {
    if (opt == 's')
      stride = atol(optarg);
    else if (opt == 'o')
      offset = atol(optarg);
    else
      return 2;
  }
  if (optind != argc - 1 || stride < 1) {
    fprintf(stderr, "usage: %s [-s stride] [-o offset] firmware.elf\n", argv[0]);
    return 2;
  }
  elf_firmware_t fw;
  if (miniml_read_elf(argv[optind], &fw) != 0) return 2;
  static uint8_t image[EE_SIZE];
  memset(image, 0xFF, EE_SIZE);
  if (run(&fw, image, 1) != 0) return 2;
  const int nwrites = g_nwrites, nsaves = g_nsaves;
  for (int s = 0; s < nsaves; ++s) {
    if (!g_completed[s]) {
      fprintf(stderr, "powercut: save %d did not return kStoreOk\n", s);
      return 2;
    }
  }
  for (int i = 0; i < nwrites; ++i) {
    if (g_writes[i].save < 0) {
      fprintf(stderr, "powercut: EEPROM write %d outside a save\n", i);
      return 2;
    }
  }
  /* Cut points: 2k+1 = after write k (k = 0..W-1) landed; 2k = during write k (cell erased), for writes
   * that change the cell from and to something other than 0xFF. */
  long points = 0, tried = 0, losses = 0;
  for (long p = 0; p < 2L * nwrites; ++p) {
    const int k = (int)(p / 2), during = (p % 2) == 0;
    const ee_write_t* w = &g_writes[k];
    if (during && (w->old == 0xFF || w->value == 0xFF)) continue;
    if (points++ % stride != offset) continue;
    const int s = w->save;
    const int last_of_save = !during && (k == nwrites - 1 || g_writes[k + 1].save != s);
    image_at(image, k + 1, during);
    if (run(&fw, image, 0) != 0) return 2;
    ++tried;
    /* g_line: "L <status> <hex>" */
    int status = atoi(g_line + 2);
    const char* hex = strchr(g_line + 2, ' ');
    hex = hex ? hex + 1 : "";
    const int is_new = status == 0 && strcmp(hex, g_saves[s]) == 0;
    const int is_prev = s == 0 ? status == 1 : (status == 0 && strcmp(hex, g_saves[s - 1]) == 0);
    const int ok = last_of_save ? is_new : (is_new || is_prev);
    if (!ok) {
      ++losses;
      printf("LOSS cut %ld (%s write %d of save %d, EEPROM[%u] 0x%02x -> 0x%02x): boot load gave \"%s\"\n", p,
             during ? "during" : "after", k, s, w->addr, w->old, w->value, g_line);
    }
  }
  printf("powercut: saves %d writes %d cut_points %ld tried %ld losses %ld save_cycles %llu\n", nsaves, nwrites, points,
         tried, losses, (unsigned long long)g_save_cycles);
  return losses ? 1 : 0;
}
