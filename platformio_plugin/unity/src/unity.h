/* MiniML's Unity-compatible test library: the macros of ThrowTheSwitch Unity (MIT) that tests use, and the same
 * output lines ("file:line:test:PASS", "...:FAIL: msg", "N Tests N Failures N Ignored", "OK"/"FAIL"), so test
 * code compiles unchanged against real Unity and PlatformIO's Unity parser reads our output (byte-identical to
 * Unity 2.6 for the common assertions, checked once by hand). Written from the public API, not copied. Output: UART0 at
 * 115200 baud on bare AVR, Serial under the Arduino framework, putchar elsewhere (stdout on a host, semihosting on
 * Cortex-M / RISC-V with picolibc). A failed assertion longjmps out of the running test. */
#ifndef MINIML_UNITY_H_
#define MINIML_UNITY_H_

#define UNITY_VERSION_MAJOR 2
#define UNITY_VERSION_MINOR 6
#define UNITY_VERSION_BUILD 0
#define MINIML_UNITY 1

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__AVR__)
#include <avr/pgmspace.h>
typedef int32_t UNITY_INT;
typedef uint32_t UNITY_UINT;
/* Strings the library owns (file and test names) stay in flash on AVR: 2 KB of SRAM is precious. */
#define UNITY_ROM_STR(s) PSTR(s)
#else
typedef int64_t UNITY_INT;
typedef uint64_t UNITY_UINT;
#define UNITY_ROM_STR(s) (s)
#endif
typedef float UNITY_FLOAT;
typedef unsigned int UNITY_LINE_TYPE;
typedef unsigned int UNITY_COUNTER_TYPE;

typedef enum {
  UNITY_DISPLAY_STYLE_INT = 0,
  UNITY_DISPLAY_STYLE_UINT = 1,
  UNITY_DISPLAY_STYLE_HEX8 = 2,
  UNITY_DISPLAY_STYLE_HEX16 = 3,
  UNITY_DISPLAY_STYLE_HEX32 = 4,
  UNITY_DISPLAY_STYLE_CHAR = 5
} UNITY_DISPLAY_STYLE_T;

typedef enum {
  UNITY_GREATER_THAN = 0,
  UNITY_GREATER_OR_EQUAL = 1,
  UNITY_SMALLER_THAN = 2,
  UNITY_SMALLER_OR_EQUAL = 3
} UNITY_COMPARISON_T;

struct UNITY_STORAGE_T {
  const char* TestFile;        /* in flash on AVR */
  const char* CurrentTestName; /* in flash on AVR */
  UNITY_LINE_TYPE CurrentTestLineNumber;
  UNITY_COUNTER_TYPE NumberOfTests;
  UNITY_COUNTER_TYPE TestFailures;
  UNITY_COUNTER_TYPE TestIgnores;
  UNITY_COUNTER_TYPE CurrentTestFailed;
  UNITY_COUNTER_TYPE CurrentTestIgnored;
  jmp_buf AbortFrame;
};
extern struct UNITY_STORAGE_T Unity;

/* Provided by the test (weak empty defaults in unity.c). */
void setUp(void);
void tearDown(void);

void UnityBegin(const char* filename);
int UnityEnd(void);
void UnityDefaultTestRun(void (*func)(void), const char* func_name, int line_num);
void UnityOutputChar(char c);
void UnityPrint(const char* string);
void UnityPrintNumber(UNITY_INT number);
void UnityPrintFloat(UNITY_FLOAT number);

void UnityFail(const char* message, UNITY_LINE_TYPE line);
void UnityIgnore(const char* message, UNITY_LINE_TYPE line);
void UnityPass(UNITY_LINE_TYPE line);
void UnityMessage(const char* message, UNITY_LINE_TYPE line);
void UnityAssert(int condition, const char* failure, const char* message, UNITY_LINE_TYPE line);
void UnityAssertEqualNumber(UNITY_INT expected, UNITY_INT actual, const char* message, UNITY_LINE_TYPE line,
                            UNITY_DISPLAY_STYLE_T style);
void UnityAssertNotEqualNumber(UNITY_INT expected, UNITY_INT actual, const char* message, UNITY_LINE_TYPE line,
                               UNITY_DISPLAY_STYLE_T style);
void UnityAssertNumbersWithin(UNITY_UINT delta, UNITY_INT expected, UNITY_INT actual, const char* message,
                              UNITY_LINE_TYPE line, UNITY_DISPLAY_STYLE_T style);
void UnityAssertGreaterOrLessOrEqualNumber(UNITY_INT threshold, UNITY_INT actual, UNITY_COMPARISON_T compare,
                                           const char* message, UNITY_LINE_TYPE line, UNITY_DISPLAY_STYLE_T style);
void UnityAssertEqualIntArray(const void* expected, const void* actual, UNITY_UINT num_elements,
                              unsigned int element_size, const char* message, UNITY_LINE_TYPE line,
                              UNITY_DISPLAY_STYLE_T style);
void UnityAssertFloatsWithin(UNITY_FLOAT delta, UNITY_FLOAT expected, UNITY_FLOAT actual, const char* message,
                             UNITY_LINE_TYPE line);
void UnityAssertFloatsNotWithin(UNITY_FLOAT delta, UNITY_FLOAT expected, UNITY_FLOAT actual, const char* message,
                                UNITY_LINE_TYPE line);
/* relative != 0: each element within delta * |expected| (TEST_ASSERT_EQUAL_FLOAT_ARRAY); else within delta. */
void UnityAssertEqualFloatArray(UNITY_FLOAT delta, int relative, const UNITY_FLOAT* expected, const UNITY_FLOAT* actual,
                                UNITY_UINT num_elements, const char* message, UNITY_LINE_TYPE line);
void UnityAssertFloatSpecial(UNITY_FLOAT actual, int kind, const char* message, UNITY_LINE_TYPE line);
void UnityAssertEqualString(const char* expected, const char* actual, const char* message, UNITY_LINE_TYPE line);
void UnityAssertEqualMemory(const void* expected, const void* actual, UNITY_UINT length, const char* message,
                            UNITY_LINE_TYPE line);

#ifdef __cplusplus
}
#endif

/* Test running. */
#define UNITY_BEGIN() UnityBegin(UNITY_ROM_STR(__FILE__))
#define UNITY_END() UnityEnd()
#define RUN_TEST(func) UnityDefaultTestRun(func, UNITY_ROM_STR(#func), __LINE__)
#define TEST_PROTECT() (setjmp(Unity.AbortFrame) == 0)
#define TEST_ABORT() longjmp(Unity.AbortFrame, 1)
#define TEST_LINE_NUM (Unity.CurrentTestLineNumber)
#define UNITY_LINE(l) ((UNITY_LINE_TYPE)(l))

/* Real Unity's default float precision for TEST_ASSERT_EQUAL_FLOAT: 0.00001 of the expected value. */
#define UNITY_FLOAT_PRECISION (0.00001f)

/* Failing, ignoring, passing, messages. */
#define TEST_FAIL_MESSAGE(message) UnityFail((message), UNITY_LINE(__LINE__))
#define TEST_FAIL() UnityFail(NULL, UNITY_LINE(__LINE__))
#define TEST_IGNORE_MESSAGE(message) UnityIgnore((message), UNITY_LINE(__LINE__))
#define TEST_IGNORE() UnityIgnore(NULL, UNITY_LINE(__LINE__))
#define TEST_PASS() UnityPass(UNITY_LINE(__LINE__))
#define TEST_PASS_MESSAGE(message) UnityPass(UNITY_LINE(__LINE__))
#define TEST_MESSAGE(message) UnityMessage((message), UNITY_LINE(__LINE__))

/* Booleans and pointers. */
#define TEST_ASSERT_MESSAGE(condition, message) \
  UnityAssert((condition) ? 1 : 0, "Expression Evaluated To FALSE", (message), UNITY_LINE(__LINE__))
#define TEST_ASSERT(condition) TEST_ASSERT_MESSAGE((condition), NULL)
#define TEST_ASSERT_TRUE_MESSAGE(condition, message) \
  UnityAssert((condition) ? 1 : 0, "Expected TRUE Was FALSE", (message), UNITY_LINE(__LINE__))
#define TEST_ASSERT_TRUE(condition) TEST_ASSERT_TRUE_MESSAGE((condition), NULL)
#define TEST_ASSERT_UNLESS_MESSAGE(condition, message) \
  UnityAssert((condition) ? 0 : 1, "Expected FALSE Was TRUE", (message), UNITY_LINE(__LINE__))
#define TEST_ASSERT_UNLESS(condition) TEST_ASSERT_UNLESS_MESSAGE((condition), NULL)
#define TEST_ASSERT_FALSE_MESSAGE(condition, message) TEST_ASSERT_UNLESS_MESSAGE((condition), (message))
#define TEST_ASSERT_FALSE(condition) TEST_ASSERT_UNLESS_MESSAGE((condition), NULL)
#define TEST_ASSERT_NULL_MESSAGE(pointer, message) \
  UnityAssert(((pointer) == NULL) ? 1 : 0, "Expected NULL", (message), UNITY_LINE(__LINE__))
#define TEST_ASSERT_NULL(pointer) TEST_ASSERT_NULL_MESSAGE((pointer), NULL)
#define TEST_ASSERT_NOT_NULL_MESSAGE(pointer, message) \
  UnityAssert(((pointer) != NULL) ? 1 : 0, "Expected Non-NULL", (message), UNITY_LINE(__LINE__))
#define TEST_ASSERT_NOT_NULL(pointer) TEST_ASSERT_NOT_NULL_MESSAGE((pointer), NULL)

/* Integers. */
#define UNITY_TEST_ASSERT_EQUAL_NUM(e, a, m, style) \
  UnityAssertEqualNumber((UNITY_INT)(e), (UNITY_INT)(a), (m), UNITY_LINE(__LINE__), (style))
#define TEST_ASSERT_EQUAL_INT_MESSAGE(e, a, m) UNITY_TEST_ASSERT_EQUAL_NUM((e), (a), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT8_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((int8_t)(e), (int8_t)(a), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT16_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((int16_t)(e), (int16_t)(a), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT32_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((int32_t)(e), (int32_t)(a), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_UINT_MESSAGE(e, a, m) UNITY_TEST_ASSERT_EQUAL_NUM((e), (a), (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_UINT8_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint8_t)(e), (uint8_t)(a), (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_UINT16_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint16_t)(e), (uint16_t)(a), (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_UINT32_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint32_t)(e), (uint32_t)(a), (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_HEX8_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint8_t)(e), (uint8_t)(a), (m), UNITY_DISPLAY_STYLE_HEX8)
#define TEST_ASSERT_EQUAL_HEX16_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint16_t)(e), (uint16_t)(a), (m), UNITY_DISPLAY_STYLE_HEX16)
#define TEST_ASSERT_EQUAL_HEX32_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((uint32_t)(e), (uint32_t)(a), (m), UNITY_DISPLAY_STYLE_HEX32)
#define TEST_ASSERT_EQUAL_CHAR_MESSAGE(e, a, m) \
  UNITY_TEST_ASSERT_EQUAL_NUM((char)(e), (char)(a), (m), UNITY_DISPLAY_STYLE_CHAR)
#define TEST_ASSERT_EQUAL_size_t_MESSAGE(e, a, m) TEST_ASSERT_EQUAL_UINT_MESSAGE((e), (a), (m))
#define TEST_ASSERT_EQUAL_HEX_MESSAGE(e, a, m) TEST_ASSERT_EQUAL_HEX32_MESSAGE((e), (a), (m))
#define TEST_ASSERT_EQUAL_MESSAGE(e, a, m) TEST_ASSERT_EQUAL_INT_MESSAGE((e), (a), (m))
#define TEST_ASSERT_EQUAL_INT(e, a) TEST_ASSERT_EQUAL_INT_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_INT8(e, a) TEST_ASSERT_EQUAL_INT8_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_INT16(e, a) TEST_ASSERT_EQUAL_INT16_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_INT32(e, a) TEST_ASSERT_EQUAL_INT32_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_UINT(e, a) TEST_ASSERT_EQUAL_UINT_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_UINT8(e, a) TEST_ASSERT_EQUAL_UINT8_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_UINT16(e, a) TEST_ASSERT_EQUAL_UINT16_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_UINT32(e, a) TEST_ASSERT_EQUAL_UINT32_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_HEX8(e, a) TEST_ASSERT_EQUAL_HEX8_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_HEX16(e, a) TEST_ASSERT_EQUAL_HEX16_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_HEX32(e, a) TEST_ASSERT_EQUAL_HEX32_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_HEX(e, a) TEST_ASSERT_EQUAL_HEX32_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_CHAR(e, a) TEST_ASSERT_EQUAL_CHAR_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_size_t(e, a) TEST_ASSERT_EQUAL_UINT_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL(e, a) TEST_ASSERT_EQUAL_INT_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_NOT_EQUAL_MESSAGE(e, a, m) \
  UnityAssertNotEqualNumber((UNITY_INT)(e), (UNITY_INT)(a), (m), UNITY_LINE(__LINE__), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_NOT_EQUAL(e, a) TEST_ASSERT_NOT_EQUAL_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_NOT_EQUAL_INT(e, a) TEST_ASSERT_NOT_EQUAL_MESSAGE((e), (a), NULL)

#define UNITY_TEST_ASSERT_WITHIN(d, e, a, m, style) \
  UnityAssertNumbersWithin((UNITY_UINT)(d), (UNITY_INT)(e), (UNITY_INT)(a), (m), UNITY_LINE(__LINE__), (style))
#define TEST_ASSERT_INT_WITHIN_MESSAGE(d, e, a, m) UNITY_TEST_ASSERT_WITHIN((d), (e), (a), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_INT_WITHIN(d, e, a) TEST_ASSERT_INT_WITHIN_MESSAGE((d), (e), (a), NULL)
#define TEST_ASSERT_INT8_WITHIN(d, e, a) TEST_ASSERT_INT_WITHIN_MESSAGE((d), (int8_t)(e), (int8_t)(a), NULL)
#define TEST_ASSERT_INT16_WITHIN(d, e, a) TEST_ASSERT_INT_WITHIN_MESSAGE((d), (int16_t)(e), (int16_t)(a), NULL)
#define TEST_ASSERT_INT32_WITHIN(d, e, a) TEST_ASSERT_INT_WITHIN_MESSAGE((d), (int32_t)(e), (int32_t)(a), NULL)
#define TEST_ASSERT_UINT_WITHIN_MESSAGE(d, e, a, m) \
  UNITY_TEST_ASSERT_WITHIN((d), (e), (a), (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_UINT_WITHIN(d, e, a) TEST_ASSERT_UINT_WITHIN_MESSAGE((d), (e), (a), NULL)
#define TEST_ASSERT_UINT32_WITHIN(d, e, a) TEST_ASSERT_UINT_WITHIN_MESSAGE((d), (uint32_t)(e), (uint32_t)(a), NULL)

#define UNITY_TEST_ASSERT_CMP(t, a, cmp, m, style) \
  UnityAssertGreaterOrLessOrEqualNumber((UNITY_INT)(t), (UNITY_INT)(a), (cmp), (m), UNITY_LINE(__LINE__), (style))
#define TEST_ASSERT_GREATER_THAN_MESSAGE(t, a, m) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_GREATER_THAN, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_GREATER_OR_EQUAL_MESSAGE(t, a, m) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_GREATER_OR_EQUAL, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_LESS_THAN_MESSAGE(t, a, m) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_SMALLER_THAN, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_LESS_OR_EQUAL_MESSAGE(t, a, m) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_SMALLER_OR_EQUAL, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_GREATER_THAN(t, a) TEST_ASSERT_GREATER_THAN_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_GREATER_THAN_INT(t, a) TEST_ASSERT_GREATER_THAN_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_GREATER_OR_EQUAL(t, a) TEST_ASSERT_GREATER_OR_EQUAL_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_GREATER_OR_EQUAL_INT(t, a) TEST_ASSERT_GREATER_OR_EQUAL_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_LESS_THAN(t, a) TEST_ASSERT_LESS_THAN_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_LESS_THAN_INT(t, a) TEST_ASSERT_LESS_THAN_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_LESS_OR_EQUAL(t, a) TEST_ASSERT_LESS_OR_EQUAL_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_LESS_OR_EQUAL_INT(t, a) TEST_ASSERT_LESS_OR_EQUAL_MESSAGE((t), (a), NULL)
#define TEST_ASSERT_GREATER_THAN_UINT(t, a) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_GREATER_THAN, NULL, UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_LESS_THAN_UINT(t, a) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_SMALLER_THAN, NULL, UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_LESS_OR_EQUAL_UINT(t, a) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_SMALLER_OR_EQUAL, NULL, UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_GREATER_OR_EQUAL_UINT(t, a) \
  UNITY_TEST_ASSERT_CMP((t), (a), UNITY_GREATER_OR_EQUAL, NULL, UNITY_DISPLAY_STYLE_UINT)

/* Integer arrays and memory. */
#define UNITY_TEST_ASSERT_ARRAY(e, a, n, size, m, style)                                                           \
  UnityAssertEqualIntArray((const void*)(e), (const void*)(a), (UNITY_UINT)(n), (size), (m), UNITY_LINE(__LINE__), \
                           (style))
#define TEST_ASSERT_EQUAL_INT8_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 1, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT16_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 2, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT32_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 4, (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_INT_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), sizeof(int), (m), UNITY_DISPLAY_STYLE_INT)
#define TEST_ASSERT_EQUAL_UINT8_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 1, (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_UINT16_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 2, (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_UINT32_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 4, (m), UNITY_DISPLAY_STYLE_UINT)
#define TEST_ASSERT_EQUAL_HEX8_ARRAY_MESSAGE(e, a, n, m) \
  UNITY_TEST_ASSERT_ARRAY((e), (a), (n), 1, (m), UNITY_DISPLAY_STYLE_HEX8)
#define TEST_ASSERT_EQUAL_INT8_ARRAY(e, a, n) TEST_ASSERT_EQUAL_INT8_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_INT16_ARRAY(e, a, n) TEST_ASSERT_EQUAL_INT16_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_INT32_ARRAY(e, a, n) TEST_ASSERT_EQUAL_INT32_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_INT_ARRAY(e, a, n) TEST_ASSERT_EQUAL_INT_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_UINT8_ARRAY(e, a, n) TEST_ASSERT_EQUAL_UINT8_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_UINT16_ARRAY(e, a, n) TEST_ASSERT_EQUAL_UINT16_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_UINT32_ARRAY(e, a, n) TEST_ASSERT_EQUAL_UINT32_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_HEX8_ARRAY(e, a, n) TEST_ASSERT_EQUAL_HEX8_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_EQUAL_MEMORY_MESSAGE(e, a, len, m) \
  UnityAssertEqualMemory((e), (a), (UNITY_UINT)(len), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_EQUAL_MEMORY(e, a, len) TEST_ASSERT_EQUAL_MEMORY_MESSAGE((e), (a), (len), NULL)
#define TEST_ASSERT_EQUAL_STRING_MESSAGE(e, a, m) UnityAssertEqualString((e), (a), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_EQUAL_STRING(e, a) TEST_ASSERT_EQUAL_STRING_MESSAGE((e), (a), NULL)

/* Floats (single precision, as Unity's default build). */
#define TEST_ASSERT_FLOAT_WITHIN_MESSAGE(d, e, a, m) \
  UnityAssertFloatsWithin((UNITY_FLOAT)(d), (UNITY_FLOAT)(e), (UNITY_FLOAT)(a), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_WITHIN(d, e, a) TEST_ASSERT_FLOAT_WITHIN_MESSAGE((d), (e), (a), NULL)
#define TEST_ASSERT_FLOAT_NOT_WITHIN_MESSAGE(d, e, a, m) \
  UnityAssertFloatsNotWithin((UNITY_FLOAT)(d), (UNITY_FLOAT)(e), (UNITY_FLOAT)(a), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_NOT_WITHIN(d, e, a) TEST_ASSERT_FLOAT_NOT_WITHIN_MESSAGE((d), (e), (a), NULL)
#define TEST_ASSERT_EQUAL_FLOAT_MESSAGE(e, a, m)                                                           \
  UnityAssertFloatsWithin((UNITY_FLOAT)(e)*UNITY_FLOAT_PRECISION, (UNITY_FLOAT)(e), (UNITY_FLOAT)(a), (m), \
                          UNITY_LINE(__LINE__))
#define TEST_ASSERT_EQUAL_FLOAT(e, a) TEST_ASSERT_EQUAL_FLOAT_MESSAGE((e), (a), NULL)
#define TEST_ASSERT_EQUAL_FLOAT_ARRAY_MESSAGE(e, a, n, m) \
  UnityAssertEqualFloatArray(UNITY_FLOAT_PRECISION, 1, (e), (a), (UNITY_UINT)(n), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_EQUAL_FLOAT_ARRAY(e, a, n) TEST_ASSERT_EQUAL_FLOAT_ARRAY_MESSAGE((e), (a), (n), NULL)
#define TEST_ASSERT_FLOAT_ARRAY_WITHIN_MESSAGE(d, e, a, n, m) \
  UnityAssertEqualFloatArray((UNITY_FLOAT)(d), 0, (e), (a), (UNITY_UINT)(n), (m), UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_ARRAY_WITHIN(d, e, a, n) TEST_ASSERT_FLOAT_ARRAY_WITHIN_MESSAGE((d), (e), (a), (n), NULL)
#define TEST_ASSERT_FLOAT_IS_NAN(a) UnityAssertFloatSpecial((UNITY_FLOAT)(a), 0, NULL, UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_IS_NOT_NAN(a) UnityAssertFloatSpecial((UNITY_FLOAT)(a), 1, NULL, UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_IS_INF(a) UnityAssertFloatSpecial((UNITY_FLOAT)(a), 2, NULL, UNITY_LINE(__LINE__))
#define TEST_ASSERT_FLOAT_IS_DETERMINATE(a) UnityAssertFloatSpecial((UNITY_FLOAT)(a), 3, NULL, UNITY_LINE(__LINE__))

#endif /* MINIML_UNITY_H_ */
