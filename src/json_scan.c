/*-------------------------------------------------------------------------
 *
 * json_scan.c
 *	  A single-pass scanner for one JSON object: the top-level fields of a
 *	  payload, each by name and value span, in one pass over the bytes.
 *
 * Why it exists: pg_parse_json is a recursive-descent parser that lexes a
 * token at a time and calls back at every depth; on a source's flat JSON
 * events it cost a third of the worker's time.  This scanner walks the
 * bytes once with an explicit stack of open containers, finds the end of a
 * string sixteen bytes at a time (SSE2, every x86-64 has it: one compare
 * each for '"', '\\' and control characters, then each escape in the block
 * in turn; elsewhere eight bytes at a time with word-wide tests),
 * validates nested values without reporting them, and reports each
 * top-level field when its value ends.
 *
 * It implements the grammar pg_parse_json accepts (RFC 8259, the lexer's
 * rules for what may follow a number or literal, its four whitespace
 * characters, escapes checked for syntax only, as the lexer does when it
 * does not de-escape), and gives up (JSON_SCAN_UNSURE) at the first thing
 * that is not plainly valid, and at nesting deeper than it tracks.  The
 * caller then runs pg_parse_json, which stays the reference: it decides
 * and words every error.  The regression test json_scan compares both on
 * every payload it parses (sw._parse_payload checks them against each
 * other), including a corpus of tricky and randomly damaged payloads.
 *
 * Encoding is not checked here, but the scanner says whether the payload
 * it accepted is all ASCII (then without NUL, which JSON only allows
 * escaped): valid in every server encoding, so the caller's check of the
 * encoding (pg_verifymbstr) can be left out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json_scan.h"

#define JS_ONES		UINT64CONST(0x0101010101010101)
#define JS_HIGHS	UINT64CONST(0x8080808080808080)
/* The bit of 'arrays' that tells whether the container at depth d is one */
#define JS_DEPTH_BIT(d)	(UINT64CONST(1) << ((d) - 1))

/* What pg_parse_json's lexer counts as part of a word (JSON_ALPHANUMERIC_CHAR) */
static inline bool
js_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || IS_HIGHBIT_SET(c);
}

static inline bool
js_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
js_hex(char c)
{
	return js_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline const char *
js_skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * Of these 8 bytes, those that end a run of plain string bytes ('"', '\\',
 * below 0x20): the high bit of each is set, and of no byte before the
 * first of them (a byte after one may be flagged wrongly: only the lowest
 * set bit is exact).  Zero if there is none.
 */
static inline uint64
js_word_stops(uint64 v)
{
	uint64		quote = v ^ (JS_ONES * '"');
	uint64		backslash = v ^ (JS_ONES * '\\');

	/* a byte equal to zero, twice, and a byte below 0x20 */
	return (((quote - JS_ONES) & ~quote) |
			((backslash - JS_ONES) & ~backslash) |
			((v - JS_ONES * 0x20) & ~v)) & JS_HIGHS;
}

static inline bool
js_string_stop(char c)
{
	return c == '"' || c == '\\' || (unsigned char) c < 0x20;
}

#ifdef __SSE2__
/*
 * The bytes of the 16 at p that end a run of plain string bytes ('"', '\\',
 * below 0x20), as a bit mask; sets *nonascii if one of the 16 is above 0x7F.
 */
static inline uint32
js_block_stops(const char *p, bool *nonascii)
{
	__m128i		b = _mm_loadu_si128((const __m128i *) p);
	__m128i		quote = _mm_cmpeq_epi8(b, _mm_set1_epi8('"'));
	__m128i		backslash = _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'));
	__m128i		control = _mm_cmpeq_epi8(_mm_min_epu8(b, _mm_set1_epi8(0x1F)), b);

	if (_mm_movemask_epi8(b) != 0)
		*nonascii = true;
	return (uint32) _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
}
#endif

/*
 * The end of the escape sequence whose backslash is at p (p < end), or NULL
 * if it is not a valid one.
 */
static inline const char *
js_escape_end(const char *p, const char *end)
{
	if (end - p < 2)
		return NULL;
	switch (p[1])
	{
		case 'u':
			if (end - p < 6 || !js_hex(p[2]) || !js_hex(p[3]) ||
				!js_hex(p[4]) || !js_hex(p[5]))
				return NULL;
			return p + 6;
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			return p + 2;
		default:
			return NULL;
	}
}

/*
 * p is just after a string's opening quote.  Returns its closing quote, or
 * NULL if the string is not valid (unterminated, a control character, a
 * bad escape); sets *escaped if it holds an escape, and *nonascii if it
 * may hold a byte above 0x7F (bytes read past the closing quote count).
 */
static const char *
js_scan_string(const char *p, const char *end, bool *escaped, bool *nonascii)
{
#ifdef __SSE2__
	/* 16 bytes at a time, every stop in them taken in turn */
	while (end - p >= 16)
	{
		uint32		stops = js_block_stops(p, nonascii);
		const char *next = p + 16;

		while (stops != 0)
		{
			const char *q = p + pg_rightmost_one_pos32(stops);

			if (*q != '\\')
				return (*q == '"') ? q : NULL;
			*escaped = true;
			if ((next = js_escape_end(q, end)) == NULL)
				return NULL;
			if (next - p >= 16)
				break;
			stops &= ~(uint32) 0 << (next - p);
			next = p + 16;
		}
		p = next;
	}
#endif
	for (;;)
	{
		uint64		v;

		while (end - p >= 8)
		{
			uint64		stops;

			memcpy(&v, p, sizeof(v));
			if (v & JS_HIGHS)
				*nonascii = true;
			stops = js_word_stops(v);
			if (stops != 0)
			{
#ifndef WORDS_BIGENDIAN
				/* the lowest flagged byte is the first stop */
				p += pg_rightmost_one_pos64(stops) / 8;
#else
				while (!js_string_stop(*p))
					p++;
#endif
				break;
			}
			p += 8;
		}
		while (p < end && !js_string_stop(*p))
		{
			if (IS_HIGHBIT_SET(*p))
				*nonascii = true;
			p++;
		}
		if (p >= end || *p != '\\')
			return (p < end && *p == '"') ? p : NULL;

		*escaped = true;
		if ((p = js_escape_end(p, end)) == NULL)
			return NULL;
	}
}

/* A number starting at p: its end, or NULL if it is not valid */
static const char *
js_scan_number(const char *p, const char *end)
{
	if (*p == '-')
		p++;
	if (p >= end || !js_digit(*p))
		return NULL;
	if (*p++ != '0')
		while (p < end && js_digit(*p))
			p++;
	if (p < end && *p == '.')
	{
		if (++p >= end || !js_digit(*p))
			return NULL;
		while (p < end && js_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !js_digit(*p))
			return NULL;
		while (p < end && js_digit(*p))
			p++;
	}
	/* the lexer takes trailing word characters into the token: invalid */
	return (p < end && js_word_char(*p)) ? NULL : p;
}

/* true, false or null at p: its end, or NULL */
static const char *
js_scan_literal(const char *p, const char *end, JsonTokenType *kind)
{
	const char *word;
	int			n;

	switch (*p)
	{
		case 't':
			word = "true", n = 4, *kind = JSON_TOKEN_TRUE;
			break;
		case 'f':
			word = "false", n = 5, *kind = JSON_TOKEN_FALSE;
			break;
		default:
			word = "null", n = 4, *kind = JSON_TOKEN_NULL;
			break;
	}
	if (end - p < n || memcmp(p, word, n) != 0 ||
		(end - p > n && js_word_char(p[n])))
		return NULL;
	return p + n;
}

JsonScanResult
json_scan_object(const char *payload, size_t len, JsonScanField field,
				 void *arg, bool *ascii)
{
	bool		nonascii = false;
	const char *p = payload;
	const char *end = payload + len;
	uint64		arrays = 0;		/* JS_DEPTH_BIT(d): depth d is an array */
	int			depth = 1;		/* containers open, the object included */
	const char *name = NULL;	/* the current top-level field's */
	int			namelen = 0;
	bool		name_escaped = false;
	const char *value = NULL;
	JsonTokenType kind = JSON_TOKEN_INVALID;

	p = js_skip_space(p, end);
	if (p >= end || *p != '{')
		return JSON_SCAN_UNSURE;
	p = js_skip_space(p + 1, end);
	if (p < end && *p == '}')
	{
		p++;
		goto done;
	}

member:							/* a name, in an object at 'depth' */
	{
		bool		escaped = false;
		const char *q;

		if (p >= end || *p != '"' ||
			(q = js_scan_string(p + 1, end, &escaped, &nonascii)) == NULL)
			return JSON_SCAN_UNSURE;
		if (depth == 1)
		{
			name = p + 1;
			namelen = q - name;
			name_escaped = escaped;
		}
		p = js_skip_space(q + 1, end);
		if (p >= end || *p != ':')
			return JSON_SCAN_UNSURE;
		p = js_skip_space(p + 1, end);
	}

value:							/* a value, in the container at 'depth' */
	{
		JsonTokenType tok;
		bool		escaped = false;

		if (p >= end)
			return JSON_SCAN_UNSURE;
		if (depth == 1)
			value = p;
		switch (*p)
		{
			case '"':
				tok = JSON_TOKEN_STRING;
				p = js_scan_string(p + 1, end, &escaped, &nonascii);
				if (p != NULL)
					p++;
				break;
			case '{':
			case '[':
				{
					bool		is_array = (*p == '[');

					if (depth >= JSON_SCAN_MAX_DEPTH)
						return JSON_SCAN_UNSURE;
					if (depth == 1)
						kind = is_array ? JSON_TOKEN_ARRAY_START : JSON_TOKEN_OBJECT_START;
					depth++;
					if (is_array)
						arrays |= JS_DEPTH_BIT(depth);
					else
						arrays &= ~JS_DEPTH_BIT(depth);
					p = js_skip_space(p + 1, end);
					if (p < end && *p == (is_array ? ']' : '}'))
					{
						p++;
						depth--;
						goto after;		/* empty */
					}
					if (is_array)
						goto value;
					goto member;
				}
			case 't':
			case 'f':
			case 'n':
				p = js_scan_literal(p, end, &tok);
				break;
			default:
				tok = JSON_TOKEN_NUMBER;
				p = (*p == '-' || js_digit(*p)) ? js_scan_number(p, end) : NULL;
				break;
		}
		if (p == NULL)
			return JSON_SCAN_UNSURE;
		if (depth == 1)
			kind = tok;
	}

after:							/* a value has ended at p */
	if (depth == 1)
		field(arg, name, namelen, name_escaped, kind, value, p - value);
	p = js_skip_space(p, end);
	if (p >= end)
		return JSON_SCAN_UNSURE;
	if (*p == ',')
	{
		p = js_skip_space(p + 1, end);
		if (arrays & JS_DEPTH_BIT(depth))
			goto value;
		goto member;
	}
	if (*p != ((arrays & JS_DEPTH_BIT(depth)) ? ']' : '}'))
		return JSON_SCAN_UNSURE;
	p++;
	if (--depth > 0)
		goto after;

done:
	/* outside strings, a byte above 0x7F is no valid JSON: unsure above */
	*ascii = !nonascii;
	return js_skip_space(p, end) == end ? JSON_SCAN_OK : JSON_SCAN_UNSURE;
}
