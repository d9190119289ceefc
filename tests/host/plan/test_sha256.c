/* SHA-256 tests: the FIPS 180-4 example vectors (NIST), fed whole and in odd pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/sha256.h>

/* Hashes @len bytes of @msg in pieces of @step bytes; returns the digest in hex. */
static void digest_hex(const void *msg, size_t len, size_t step, char hex[65])
{
	const uint8_t *p = msg;
	uint8_t out[SHA256_BYTES];
	struct sha256 s;

	sha256_init(&s);
	for (size_t at = 0; at < len; at += step)
		sha256_update(&s, p + at, len - at < step ? len - at : step);
	sha256_final(&s, out);
	sha256_hex(out, SHA256_BYTES, hex);
}

/* Checks @msg against @want whole, one byte at a time, and in pieces across block edges. */
static void expect_digest(const void *msg, size_t len, const char *want)
{
	static const size_t steps[] = {1, 3, 55, 56, 63, 64, 65, 1000};
	uint8_t out[SHA256_BYTES];
	char hex[65];

	sha256_digest(msg, len, out);
	sha256_hex(out, SHA256_BYTES, hex);
	assert_string_equal(hex, want);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		digest_hex(msg, len, steps[i], hex);
		assert_string_equal(hex, want);
	}
}

static void test_empty(void **state)
{
	(void)state;
	expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	(void)state;
	expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The 448-bit message: its padding needs a second block. */
static void test_448_bits(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	assert_int_equal(strlen(msg), 56);
	expect_digest(msg, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* The 896-bit message of FIPS 180-4's examples. */
static void test_896_bits(void **state)
{
	static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	(void)state;
	assert_int_equal(strlen(msg), 112);
	expect_digest(msg, 112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
	size_t len = 1000000;
	char *msg = malloc(len);

	(void)state;
	assert_non_null(msg);
	memset(msg, 'a', len);
	expect_digest(msg, len, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(msg);
}

/* A hex prefix, as the kernel prints it in a refusal. */
static void test_hex_prefix(void **state)
{
	static const uint8_t digest[4] = {0xab, 0xcd, 0x01, 0x2f};
	char hex[9];

	(void)state;
	sha256_hex(digest, 4, hex);
	assert_string_equal(hex, "abcd012f");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),     cmocka_unit_test(test_abc),
		cmocka_unit_test(test_448_bits),  cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_million_a), cmocka_unit_test(test_hex_prefix),
	};
	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
