/* MiniML's Unity-compatible test library: counters, output in Unity's exact line format, and the assertion
 * bodies. A failing assertion prints "file:line:test:FAIL: reason[:message]" and longjmps back to RUN_TEST. */
#include "unity.h"

#include <string.h>

#if defined(__AVR__) && !defined(ARDUINO)
#include <avr/io.h>
#define UNITY_AVR_UART 1
#else
#include <stdio.h>
#endif

struct UNITY_STORAGE_T Unity;

/* Weak defaults: a test file may define its own setUp/tearDown. */
__attribute__((weak)) void setUp(void) {}
__attribute__((weak)) void tearDown(void) {}

#if defined(UNITY_AVR_UART)
#define UNITY_BAUD 115200UL
static void unity_output_start(void) {
  /* Double speed: 16 MHz / (8 * (16 + 1)) = 117647 baud, within 2.1 % of 115200 as the Arduino core does it. */
  UCSR0A = (uint8_t)(1u << U2X0);
  UBRR0 = (uint16_t)((F_CPU / 4UL / UNITY_BAUD - 1UL) / 2UL);
  UCSR0B = (uint8_t)(1u << TXEN0);
  UCSR0C = (uint8_t)((1u << UCSZ01) | (1u << UCSZ00));
}
void UnityOutputChar(char c) {
  while (!(UCSR0A & (1u << UDRE0))) {
  }
  UDR0 = (uint8_t)c;
}
static void unity_output_flush(void) {}
static char unity_rom_char(const char* p) { return (char)pgm_read_byte(p); }
#elif defined(ARDUINO)
/* Arduino: Serial at 115200 baud, as PlatformIO's Unity set-up does on a real board (unity_arduino.cpp). */
void miniml_unity_serial_begin(void);
void miniml_unity_serial_write(char c);
void miniml_unity_serial_flush(void);
static void unity_output_start(void) { miniml_unity_serial_begin(); }
void UnityOutputChar(char c) { miniml_unity_serial_write(c); }
static void unity_output_flush(void) { miniml_unity_serial_flush(); }
#if defined(__AVR__)
static char unity_rom_char(const char* p) { return (char)pgm_read_byte(p); }
#else
static char unity_rom_char(const char* p) { return *p; }
#endif
#else
static void unity_output_start(void) {}
void UnityOutputChar(char c) { putchar((unsigned char)c); }
static void unity_output_flush(void) { fflush(stdout); }
static char unity_rom_char(const char* p) { return *p; }
#endif

void UnityPrint(const char* string) {
  if (string == NULL) return;
  while (*string) UnityOutputChar(*string++);
}

/* Strings the library owns: in flash on AVR (UNITY_ROM_STR), plain elsewhere. */
static void unity_print_rom(const char* string) {
  char c;
  if (string == NULL) return;
  while ((c = unity_rom_char(string++)) != 0) UnityOutputChar(c);
}
#define UNITY_PRINT_LIT(s) unity_print_rom(UNITY_ROM_STR(s))

static void unity_print_eol(void) { UnityOutputChar('\n'); }

static void unity_print_unsigned(UNITY_UINT number) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (char)(number % 10u));
    number /= 10u;
  } while (number != 0u);
  while (n > 0) UnityOutputChar(digits[--n]);
}

void UnityPrintNumber(UNITY_INT number) {
  if (number < 0) {
    UnityOutputChar('-');
    unity_print_unsigned((UNITY_UINT)0 - (UNITY_UINT)number);
  } else {
    unity_print_unsigned((UNITY_UINT)number);
  }
}

static void unity_print_hex(UNITY_UINT number, int nibbles) {
  UNITY_PRINT_LIT("0x");
  while (nibbles > 0) {
    unsigned int nibble = (unsigned int)((number >> (4 * --nibbles)) & 0x0Fu);
    UnityOutputChar((char)(nibble < 10u ? '0' + (char)nibble : 'A' + (char)(nibble - 10u)));
  }
}

static void unity_print_styled(UNITY_INT value, UNITY_DISPLAY_STYLE_T style) {
  switch (style) {
    case UNITY_DISPLAY_STYLE_UINT:
      unity_print_unsigned((UNITY_UINT)value);
      break;
    case UNITY_DISPLAY_STYLE_HEX8:
      unity_print_hex((UNITY_UINT)value, 2);
      break;
    case UNITY_DISPLAY_STYLE_HEX16:
      unity_print_hex((UNITY_UINT)value, 4);
      break;
    case UNITY_DISPLAY_STYLE_HEX32:
      unity_print_hex((UNITY_UINT)value, 8);
      break;
    case UNITY_DISPLAY_STYLE_CHAR:
      UnityOutputChar('\'');
      if (value >= 32 && value <= 126) {
        UnityOutputChar((char)value);
      } else {
        unsigned int byte = (unsigned int)value & 0xFFu;
        UNITY_PRINT_LIT("\\x");
        UnityOutputChar((char)((byte >> 4) < 10u ? '0' + (char)(byte >> 4) : 'A' + (char)((byte >> 4) - 10u)));
        UnityOutputChar((char)((byte & 15u) < 10u ? '0' + (char)(byte & 15u) : 'A' + (char)((byte & 15u) - 10u)));
      }
      UnityOutputChar('\'');
      break;
    default:
      UnityPrintNumber(value);
      break;
  }
}

static int unity_is_nan(UNITY_FLOAT f) { return f != f; }
static int unity_is_inf(UNITY_FLOAT f) { return !unity_is_nan(f) && unity_is_nan(f - f); }

/* Six significant digits like Unity's UnityPrintFloat ("%.6g"-style), using float arithmetic only. */
void UnityPrintFloat(UNITY_FLOAT number) {
  int32_t exponent = 0;
  uint32_t digits;
  char buf[12];
  int n = 0;
  int decimals;
  if (unity_is_nan(number)) {
    UNITY_PRINT_LIT("nan");
    return;
  }
  if (number < 0.0f || (number == 0.0f && 1.0f / number < 0.0f)) {
    UnityOutputChar('-');
    number = -number;
  }
  if (unity_is_inf(number)) {
    UNITY_PRINT_LIT("inf");
    return;
  }
  if (number == 0.0f) {
    UnityOutputChar('0');
    return;
  }
  /* Scale into [100000, 1000000) and round to six digits. */
  while (number < 100000.0f) {
    number *= 10.0f;
    exponent--;
  }
  while (number >= 1000000.0f) {
    number /= 10.0f;
    exponent++;
  }
  digits = (uint32_t)(number + 0.5f);
  if (digits >= 1000000u) {
    digits /= 10u;
    exponent++;
  }
  exponent += 5; /* value = d.ddddd * 10^exponent */
  while (digits % 10u == 0u && n < 5) {
    digits /= 10u;
    n++;
  }
  decimals = 5 - n; /* digits after the first one */
  n = 0;
  do {
    buf[n++] = (char)('0' + (char)(digits % 10u));
    digits /= 10u;
  } while (digits != 0u);
  if (exponent >= -4 && exponent < 6) {
    /* Plain notation. */
    int point = (int)exponent; /* position of the decimal point after the first digit */
    int i;
    if (point < 0) {
      UNITY_PRINT_LIT("0.");
      for (i = -1; i > point; i--) UnityOutputChar('0');
      while (n > 0) UnityOutputChar(buf[--n]);
    } else {
      for (i = 0; i <= point; i++) UnityOutputChar(n > 0 ? buf[--n] : '0');
      if (n > 0) {
        UnityOutputChar('.');
        while (n > 0) UnityOutputChar(buf[--n]);
      }
    }
  } else {
    UnityOutputChar(buf[--n]);
    if (decimals > 0) {
      UnityOutputChar('.');
      while (n > 0) UnityOutputChar(buf[--n]);
    }
    UnityOutputChar('e');
    UnityOutputChar(exponent < 0 ? '-' : '+');
    if (exponent < 0) exponent = -exponent;
    if (exponent < 10) UnityOutputChar('0');
    UnityPrintNumber(exponent);
  }
}

static void unity_results_begin(UNITY_LINE_TYPE line) {
  unity_print_rom(Unity.TestFile);
  UnityOutputChar(':');
  UnityPrintNumber((UNITY_INT)line);
  UnityOutputChar(':');
  unity_print_rom(Unity.CurrentTestName);
  UnityOutputChar(':');
}

static void unity_fail_begin(UNITY_LINE_TYPE line) {
  unity_results_begin(line);
  UNITY_PRINT_LIT("FAIL:");
}

/* Unity 2.6's UNITY_FAILURE_DETAIL_SEPARATOR is ":" ("...Was 33:my message"). */
static void unity_add_message(const char* message) {
  if (message != NULL) {
    UnityOutputChar(':');
    UnityPrint(message);
  }
}

static void unity_fail_end(const char* message) {
  unity_add_message(message);
  unity_print_eol();
  Unity.CurrentTestFailed = 1;
  TEST_ABORT();
}

void UnityBegin(const char* filename) {
  unity_output_start();
  Unity.TestFile = filename;
  Unity.CurrentTestName = NULL;
  Unity.CurrentTestLineNumber = 0;
  Unity.NumberOfTests = 0;
  Unity.TestFailures = 0;
  Unity.TestIgnores = 0;
  Unity.CurrentTestFailed = 0;
  Unity.CurrentTestIgnored = 0;
}

static void unity_conclude_test(void) {
  if (Unity.CurrentTestIgnored) {
    Unity.TestIgnores++;
  } else if (!Unity.CurrentTestFailed) {
    unity_results_begin(Unity.CurrentTestLineNumber);
    UNITY_PRINT_LIT("PASS");
    unity_print_eol();
  } else {
    Unity.TestFailures++;
  }
  Unity.CurrentTestFailed = 0;
  Unity.CurrentTestIgnored = 0;
  unity_output_flush();
}

void UnityDefaultTestRun(void (*func)(void), const char* func_name, int line_num) {
  Unity.CurrentTestName = func_name;
  Unity.CurrentTestLineNumber = (UNITY_LINE_TYPE)line_num;
  Unity.NumberOfTests++;
  if (TEST_PROTECT()) {
    setUp();
    func();
  }
  if (TEST_PROTECT()) {
    tearDown();
  }
  unity_conclude_test();
}

int UnityEnd(void) {
  unity_print_eol();
  UNITY_PRINT_LIT("-----------------------");
  unity_print_eol();
  UnityPrintNumber((UNITY_INT)Unity.NumberOfTests);
  UNITY_PRINT_LIT(" Tests ");
  UnityPrintNumber((UNITY_INT)Unity.TestFailures);
  UNITY_PRINT_LIT(" Failures ");
  UnityPrintNumber((UNITY_INT)Unity.TestIgnores);
  UNITY_PRINT_LIT(" Ignored ");
  unity_print_eol();
  if (Unity.TestFailures == 0u) {
    UNITY_PRINT_LIT("OK");
  } else {
    UNITY_PRINT_LIT("FAIL");
  }
  unity_print_eol();
  unity_output_flush();
  return (int)Unity.TestFailures;
}

void UnityFail(const char* message, UNITY_LINE_TYPE line) {
  unity_results_begin(line);
  UNITY_PRINT_LIT("FAIL");
  unity_add_message(message);
  unity_print_eol();
  Unity.CurrentTestFailed = 1;
  TEST_ABORT();
}

void UnityIgnore(const char* message, UNITY_LINE_TYPE line) {
  unity_results_begin(line);
  UNITY_PRINT_LIT("IGNORE");
  if (message != NULL) {
    UNITY_PRINT_LIT(": ");
    UnityPrint(message);
  }
  unity_print_eol();
  Unity.CurrentTestIgnored = 1;
  TEST_ABORT();
}

void UnityPass(UNITY_LINE_TYPE line) {
  (void)line;
  TEST_ABORT();
}

void UnityMessage(const char* message, UNITY_LINE_TYPE line) {
  unity_results_begin(line);
  UNITY_PRINT_LIT("INFO");
  if (message != NULL) {
    UNITY_PRINT_LIT(": ");
    UnityPrint(message);
  }
  unity_print_eol();
}

void UnityAssert(int condition, const char* failure, const char* message, UNITY_LINE_TYPE line) {
  if (condition) return;
  unity_fail_begin(line);
  UnityOutputChar(' ');
  UnityPrint(failure);
  unity_fail_end(message);
}

static void unity_expected_was(UNITY_INT expected, UNITY_INT actual, UNITY_DISPLAY_STYLE_T style) {
  UNITY_PRINT_LIT(" Expected ");
  unity_print_styled(expected, style);
  UNITY_PRINT_LIT(" Was ");
  unity_print_styled(actual, style);
}

void UnityAssertEqualNumber(UNITY_INT expected, UNITY_INT actual, const char* message, UNITY_LINE_TYPE line,
                            UNITY_DISPLAY_STYLE_T style) {
  if (expected == actual) return;
  unity_fail_begin(line);
  unity_expected_was(expected, actual, style);
  unity_fail_end(message);
}

void UnityAssertNotEqualNumber(UNITY_INT expected, UNITY_INT actual, const char* message, UNITY_LINE_TYPE line,
                               UNITY_DISPLAY_STYLE_T style) {
  if (expected != actual) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Expected Not-Equal To ");
  unity_print_styled(expected, style);
  unity_fail_end(message);
}

void UnityAssertNumbersWithin(UNITY_UINT delta, UNITY_INT expected, UNITY_INT actual, const char* message,
                              UNITY_LINE_TYPE line, UNITY_DISPLAY_STYLE_T style) {
  UNITY_UINT diff;
  if (style == UNITY_DISPLAY_STYLE_INT) {
    diff = actual > expected ? (UNITY_UINT)actual - (UNITY_UINT)expected : (UNITY_UINT)expected - (UNITY_UINT)actual;
  } else {
    diff = (UNITY_UINT)actual > (UNITY_UINT)expected ? (UNITY_UINT)actual - (UNITY_UINT)expected
                                                     : (UNITY_UINT)expected - (UNITY_UINT)actual;
  }
  if (diff <= delta) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Values Not Within Delta ");
  unity_print_styled((UNITY_INT)delta, style);
  unity_expected_was(expected, actual, style);
  unity_fail_end(message);
}

void UnityAssertGreaterOrLessOrEqualNumber(UNITY_INT threshold, UNITY_INT actual, UNITY_COMPARISON_T compare,
                                           const char* message, UNITY_LINE_TYPE line, UNITY_DISPLAY_STYLE_T style) {
  int ok;
  int greater;
  int equal = actual == threshold;
  if (style == UNITY_DISPLAY_STYLE_INT) {
    greater = actual > threshold;
  } else {
    greater = (UNITY_UINT)actual > (UNITY_UINT)threshold;
  }
  switch (compare) {
    case UNITY_GREATER_THAN:
      ok = greater;
      break;
    case UNITY_GREATER_OR_EQUAL:
      ok = greater || equal;
      break;
    case UNITY_SMALLER_THAN:
      ok = !greater && !equal;
      break;
    default:
      ok = !greater;
      break;
  }
  if (ok) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Expected ");
  unity_print_styled(actual, style);
  switch (compare) {
    case UNITY_GREATER_THAN:
      UNITY_PRINT_LIT(" to be greater than ");
      break;
    case UNITY_GREATER_OR_EQUAL:
      UNITY_PRINT_LIT(" to be greater or equal to ");
      break;
    case UNITY_SMALLER_THAN:
      UNITY_PRINT_LIT(" to be less than ");
      break;
    default:
      UNITY_PRINT_LIT(" to be less or equal to ");
      break;
  }
  unity_print_styled(threshold, style);
  unity_fail_end(message);
}

static UNITY_INT unity_read_element(const void* p, unsigned int size, UNITY_DISPLAY_STYLE_T style) {
  int is_signed = style == UNITY_DISPLAY_STYLE_INT;
  switch (size) {
    case 1:
      return is_signed ? (UNITY_INT) * (const int8_t*)p : (UNITY_INT) * (const uint8_t*)p;
    case 2:
      return is_signed ? (UNITY_INT) * (const int16_t*)p : (UNITY_INT) * (const uint16_t*)p;
    case 4:
      return is_signed ? (UNITY_INT) * (const int32_t*)p : (UNITY_INT) * (const uint32_t*)p;
    default:
      return (UNITY_INT) * (const UNITY_INT*)p;
  }
}

static void unity_element_prefix(UNITY_UINT index) {
  UNITY_PRINT_LIT(" Element ");
  unity_print_unsigned(index);
}

void UnityAssertEqualIntArray(const void* expected, const void* actual, UNITY_UINT num_elements,
                              unsigned int element_size, const char* message, UNITY_LINE_TYPE line,
                              UNITY_DISPLAY_STYLE_T style) {
  const uint8_t* e = (const uint8_t*)expected;
  const uint8_t* a = (const uint8_t*)actual;
  UNITY_UINT i;
  if (expected == NULL || actual == NULL) {
    UnityAssert(expected == actual, "Expected NULL", message, line);
    return;
  }
  for (i = 0; i < num_elements; i++, e += element_size, a += element_size) {
    UNITY_INT ev = unity_read_element(e, element_size, style);
    UNITY_INT av = unity_read_element(a, element_size, style);
    if (ev != av) {
      unity_fail_begin(line);
      unity_element_prefix(i);
      unity_expected_was(ev, av, style);
      unity_fail_end(message);
    }
  }
}

/* Unity's rule: equal infinities pass, NaN never does, else |actual - expected| <= |delta|. */
static int unity_floats_within(UNITY_FLOAT delta, UNITY_FLOAT expected, UNITY_FLOAT actual) {
  UNITY_FLOAT diff;
  if (unity_is_inf(expected) || unity_is_inf(actual)) return expected == actual;
  if (unity_is_nan(expected) || unity_is_nan(actual)) return 0;
  diff = actual - expected;
  if (diff < 0.0f) diff = -diff;
  if (delta < 0.0f) delta = -delta;
  return !(diff > delta);
}

/* As Unity prints it: the values, not the delta. */
static void unity_float_failure(UNITY_FLOAT expected, UNITY_FLOAT actual) {
  UNITY_PRINT_LIT(" Expected ");
  UnityPrintFloat(expected);
  UNITY_PRINT_LIT(" Was ");
  UnityPrintFloat(actual);
}

void UnityAssertFloatsWithin(UNITY_FLOAT delta, UNITY_FLOAT expected, UNITY_FLOAT actual, const char* message,
                             UNITY_LINE_TYPE line) {
  if (unity_floats_within(delta, expected, actual)) return;
  unity_fail_begin(line);
  unity_float_failure(expected, actual);
  unity_fail_end(message);
}

void UnityAssertFloatsNotWithin(UNITY_FLOAT delta, UNITY_FLOAT expected, UNITY_FLOAT actual, const char* message,
                                UNITY_LINE_TYPE line) {
  if (!unity_floats_within(delta, expected, actual)) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Expected ");
  UnityPrintFloat(actual);
  UNITY_PRINT_LIT(" To Not Be Within Delta ");
  UnityPrintFloat(delta);
  UNITY_PRINT_LIT(" Of ");
  UnityPrintFloat(expected);
  unity_fail_end(message);
}

void UnityAssertEqualFloatArray(UNITY_FLOAT delta, int relative, const UNITY_FLOAT* expected, const UNITY_FLOAT* actual,
                                UNITY_UINT num_elements, const char* message, UNITY_LINE_TYPE line) {
  UNITY_UINT i;
  if (expected == NULL || actual == NULL) {
    UnityAssert(expected == actual, "Expected NULL", message, line);
    return;
  }
  for (i = 0; i < num_elements; i++) {
    UNITY_FLOAT d = relative ? delta * expected[i] : delta;
    if (!unity_floats_within(d, expected[i], actual[i])) {
      unity_fail_begin(line);
      unity_element_prefix(i);
      unity_float_failure(expected[i], actual[i]);
      unity_fail_end(message);
    }
  }
}

void UnityAssertFloatSpecial(UNITY_FLOAT actual, int kind, const char* message, UNITY_LINE_TYPE line) {
  int ok;
  switch (kind) {
    case 0:
      ok = unity_is_nan(actual);
      break;
    case 1:
      ok = !unity_is_nan(actual);
      break;
    case 2:
      ok = unity_is_inf(actual);
      break;
    default:
      ok = !unity_is_nan(actual) && !unity_is_inf(actual);
      break;
  }
  if (ok) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Expected ");
  switch (kind) {
    case 0:
      UNITY_PRINT_LIT("NaN");
      break;
    case 1:
      UNITY_PRINT_LIT("Not NaN");
      break;
    case 2:
      UNITY_PRINT_LIT("Infinity");
      break;
    default:
      UNITY_PRINT_LIT("Determinate");
      break;
  }
  UNITY_PRINT_LIT(" Was ");
  UnityPrintFloat(actual);
  unity_fail_end(message);
}

void UnityAssertEqualString(const char* expected, const char* actual, const char* message, UNITY_LINE_TYPE line) {
  if (expected != NULL && actual != NULL && strcmp(expected, actual) == 0) return;
  if (expected == NULL && actual == NULL) return;
  unity_fail_begin(line);
  UNITY_PRINT_LIT(" Expected '");
  UnityPrint(expected);
  UNITY_PRINT_LIT("' Was '");
  UnityPrint(actual);
  UnityOutputChar('\'');
  if (expected != NULL && actual != NULL) {
    UNITY_UINT i = 0;
    while (expected[i] != '\0' && expected[i] == actual[i]) i++;
    UNITY_PRINT_LIT(" Character ");
    unity_print_unsigned(i);
    unity_expected_was((UNITY_INT)expected[i], (UNITY_INT)actual[i], UNITY_DISPLAY_STYLE_CHAR);
  }
  unity_fail_end(message);
}

void UnityAssertEqualMemory(const void* expected, const void* actual, UNITY_UINT length, const char* message,
                            UNITY_LINE_TYPE line) {
  const uint8_t* e = (const uint8_t*)expected;
  const uint8_t* a = (const uint8_t*)actual;
  UNITY_UINT i;
  if (expected == NULL || actual == NULL) {
    UnityAssert(expected == actual, "Expected NULL", message, line);
    return;
  }
  for (i = 0; i < length; i++) {
    if (e[i] != a[i]) {
      unity_fail_begin(line);
      UNITY_PRINT_LIT(" Memory Mismatch. Byte ");
      unity_print_unsigned(i);
      unity_expected_was((UNITY_INT)e[i], (UNITY_INT)a[i], UNITY_DISPLAY_STYLE_HEX8);
      unity_fail_end(message);
    }
  }
}
