/* Fuzz target `json`: the control domain's JSON reader and writer (services/control/ctl_json.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctl_json.h>

/*
 * Input: any bytes, as a request body. A refusal must point inside the input. An accepted
 * value must have every token inside the input and consistent (`next` past its children,
 * `count` members or elements); written out again by the project's writer (each string
 * decoded and escaped afresh), it must read back with the same tokens and the same decoded
 * strings. The input is copied to a buffer of its exact size so that the address sanitizer
 * sees any read past it.
 */

/**
 * libFuzzer's entry: parses the @size bytes at @data and checks the answer.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKENS 256u

static struct ctl_json_tok tok1[TOKENS], tok2[TOKENS];

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_json: %s\n", rule);
	abort();
}

/* Every token inside the text, its children's extent and count consistent. */
static void check_tokens(const struct ctl_json_doc *doc, size_t size)
{
	for (uint32_t i = 0; i < doc->n; i++) {
		const struct ctl_json_tok *t = &doc->tok[i];
		if ((size_t)t->start + t->len > size || t->next <= i || t->next > doc->n)
			broken("a token outside the input or its document");
		if (t->type != CTL_JSON_OBJECT && t->type != CTL_JSON_ARRAY) {
			if (t->next != i + 1u)
				broken("a scalar with children");
			continue;
		}
		uint32_t k = i + 1u, values = 0, per = t->type == CTL_JSON_OBJECT ? 2u : 1u;
		for (; k < t->next; k = doc->tok[k].next)
			values++;
		if (k != t->next || values != t->count * per)
			broken("a container's count or extent is wrong");
	}
}

/* Writes token @i's own text (not its children) into @b. */
static void write_token(struct ctl_buf *b, const struct ctl_json_doc *doc, uint32_t i,
                        char *scratch, size_t cap)
{
	const struct ctl_json_tok *t = &doc->tok[i];
	size_t n;

	switch (t->type) {
	case CTL_JSON_OBJECT:
		ctl_buf_puts(b, "{");
		break;
	case CTL_JSON_ARRAY:
		ctl_buf_puts(b, "[");
		break;
	case CTL_JSON_STRING:
		n = ctl_json_text(doc, i, scratch, cap);
		if (n == SIZE_MAX)
			broken("an accepted string does not decode");
		ctl_json_string(b, scratch, n);
		break;
	default:
		ctl_buf_put(b, doc->text + t->start, t->len);
	}
}

/* Writes @doc out again, separators and closing brackets from the token counts. */
static void rewrite(struct ctl_buf *b, const struct ctl_json_doc *doc, char *scratch, size_t cap)
{
	uint32_t open[CTL_JSON_DEPTH + 1u], left[CTL_JSON_DEPTH + 1u], seen[CTL_JSON_DEPTH + 1u];
	unsigned depth = 0;

	for (uint32_t i = 0; i < doc->n; i++) {
		if (depth > 0) {
			bool object = doc->tok[open[depth - 1u]].type == CTL_JSON_OBJECT;
			uint32_t k = seen[depth - 1u]++;
			ctl_buf_puts(b, k == 0 ? "" : object && k % 2u ? ":" : ",");
			left[depth - 1u]--;
		}
		write_token(b, doc, i, scratch, cap);
		const struct ctl_json_tok *t = &doc->tok[i];
		if (t->type == CTL_JSON_OBJECT || t->type == CTL_JSON_ARRAY) {
			open[depth] = i;
			seen[depth] = 0;
			left[depth++] = t->count * (t->type == CTL_JSON_OBJECT ? 2u : 1u);
		}
		while (depth > 0 && left[depth - 1u] == 0)
			ctl_buf_puts(b,
			             doc->tok[open[--depth]].type == CTL_JSON_OBJECT ? "}" : "]");
	}
}

/* The rewritten document reads back the same: types, counts, decoded strings. */
static void check_same(const struct ctl_json_doc *a, const struct ctl_json_doc *b, char *s1,
                       char *s2, size_t cap)
{
	if (a->n != b->n)
		broken("the rewritten value has another number of tokens");
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->tok[i].type != b->tok[i].type || a->tok[i].count != b->tok[i].count ||
		    a->tok[i].next != b->tok[i].next)
			broken("the rewritten value has other tokens");
		if (a->tok[i].type != CTL_JSON_STRING)
			continue;
		size_t n1 = ctl_json_text(a, i, s1, cap), n2 = ctl_json_text(b, i, s2, cap);
		if (n1 != n2 || memcmp(s1, s2, n1) != 0)
			broken("a rewritten string decodes differently");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size * 8u + 64u;
	char *in = malloc(size ? size : 1u), *out = malloc(cap), *s1 = malloc(cap),
	     *s2 = malloc(cap);
	struct ctl_json_doc doc, again;
	struct ctl_buf b;

	if (!in || !out || !s1 || !s2)
		goto done;
	memcpy(in, data, size);
	ctl_json_init(&doc, tok1, TOKENS);
	if (ctl_json_parse(&doc, in, size)) {
		if (doc.err_at > size)
			broken("a refusal points past the input");
		goto done;
	}
	check_tokens(&doc, size);
	ctl_buf_init(&b, out, cap);
	rewrite(&b, &doc, s1, cap);
	if (b.full)
		broken("the rewritten value does not fit 8 bytes per input byte");
	ctl_json_init(&again, tok2, TOKENS);
	if (ctl_json_parse(&again, out, b.len))
		broken("the rewritten value is refused");
	check_same(&doc, &again, s1, s2, cap);
done:
	free(in);
	free(out);
	free(s1);
	free(s2);
	return 0;
}
