/*-------------------------------------------------------------------------
 *
 * formats.c
 *	  Message formats: one Kafka payload (json, csv or text) to the typed
 *	  user columns of a staging table, or an error text for dead letters.
 *
 * formats_prepare() does every catalog lookup once per staging table: input
 * functions (FmgrInfo in the worker's long-lived context), typioparam and
 * typmod of each user column, and an open-addressing hash from column name
 * to column.  formats_parse() then works on one payload without catalog
 * access and without allocations beyond the result datums (and one lexer
 * context under PostgreSQL 16).
 *
 * JSON is read by a single-pass scanner (json_scan.c) that reports each
 * top-level field's name and value span; whenever it is unsure (invalid
 * JSON, deep nesting, not an object) PostgreSQL's own parser
 * (common/jsonapi.h) runs instead, with need_escapes = false so that it
 * neither de-escapes nor copies anything, and words the error.  Its
 * semantic callbacks note the same spans: the field name is read back from
 * the payload between the previous ',' (or the opening '{') and the value.
 * Either way a name is looked up first in the column that had the same
 * position in the previous message (producers keep their field order),
 * then in the hash.  Only after the whole payload has been read are the
 * spans converted, so a later duplicate key simply replaces an earlier
 * span (last wins) and invalid JSON never costs a conversion.
 * Strings are de-escaped only when they contain a backslash; objects and
 * arrays destined to text/json columns are copied from the payload as they
 * are.  CSV is scanned into the same spans.
 *
 * Conversions: text (and varchar without a length) are built directly;
 * timestamptz has fast paths for plain ISO-8601 strings and for epoch
 * milliseconds (JSON numbers), exact to the microsecond; everything else
 * goes through the column type's input function.
 *
 * Errors.  In PostgreSQL 15 datatype input functions report bad input with
 * ereport(ERROR); soft errors only arrived in 16.  We therefore run one
 * message's conversion under PG_TRY and, for a bad message, copy the error
 * text, FlushErrorState() and return it, without a subtransaction.  That is
 * safe here because of what can run inside the PG_TRY: our own code, the
 * JSON parser, pg_verifymbstr and datatype input functions.  Input
 * functions only palloc (in the caller's per-batch context, which is reset
 * anyway) and look up catalogs through the caches; they take no locks,
 * pin no buffers across the error and hold no resources that only
 * transaction abort would release.  Two kinds are exceptions: a domain's
 * runs its CHECK constraints (arbitrary code), and record_in fails while
 * holding a reference to the row type's descriptor; so formats_prepare()
 * refuses columns of domain and composite types (and arrays or ranges of
 * them).
 * Errors that are not about the message (out of memory, query cancel or
 * shutdown, internal errors) are rethrown, never turned into dead letters.
 * Under PostgreSQL 16+ input functions are called with an ErrorSaveContext
 * (InputFunctionCallSafe) and the soft error is raised again as ours.
 *
 * Timestamps: ISO-8601 strings without an offset are read as UTC by the
 * fast path; the rarer forms that go to timestamptz_in are read in the
 * session's TimeZone, which the source worker sets to UTC (and so does
 * sw._parse_payload, for the tests).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/jsonapi.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

#include "formats.h"
#include "json_scan.h"

/* Semantic callbacks return JsonParseErrorType from PostgreSQL 16 on. */
#if PG_VERSION_NUM >= 160000
#define SW_JSON_ACTION JsonParseErrorType
#define SW_JSON_ACTION_DONE return JSON_SUCCESS
#else
#define SW_JSON_ACTION void
#define SW_JSON_ACTION_DONE return
#endif

/* Larger payloads are bad messages (keeps every buffer below MaxAllocSize) */
#define SW_MAX_PAYLOAD		(MaxAllocSize / 4)
/* Error texts are cut to this many bytes */
#define SW_MAX_ERROR_LEN	1000
/* Fields that can wait for the encoding check (more: pg_parse_json reads it) */
#define SW_SCANNED_FIELDS	256
/* Field positions whose column is remembered from message to message */
#define SW_GUESS_FIELDS		64
/* Attributes 1..4 of a staging table are the Kafka columns */
#define SW_KAFKA_COLUMNS	4

typedef enum SwConv
{
	SW_CONV_INPUT,				/* the type's input function */
	SW_CONV_TEXT,				/* text, varchar: build the varlena */
	SW_CONV_TIMESTAMPTZ			/* fast paths, else timestamptz_in */
} SwConv;

typedef struct SwColumn
{
	int			attidx;			/* 0-based index into values/nulls */
	char	   *name;
	int			namelen;
	Oid			typid;
	int32		typmod;
	Oid			typioparam;
	FmgrInfo	infunc;
	char	   *typname;		/* for error texts */
	SwConv		conv;
	bool		json_as_text;	/* object/array: copy bytes (text, json) */
	bool		takes_json;		/* object/array allowed (string types, json) */
	bool		is_json;		/* json or jsonb */
} SwColumn;

/* A top-level field as json_scan_object reported it */
typedef struct SwScannedField
{
	const char *name;
	int			namelen;
	bool		name_escaped;
	JsonTokenType kind;
	const char *value;
	int			valuelen;
} SwScannedField;

/* Where one column's value lies in the payload */
#define SW_SPAN_CSV_UNQUOTED	100 /* JSON spans use JsonTokenType */
#define SW_SPAN_CSV_QUOTED		101

typedef struct SwSpan
{
	const char *p;				/* JSON: whole token or value; CSV: contents */
	int			len;
	int			kind;			/* JsonTokenType, SW_SPAN_CSV_*; 0 = absent */
	bool		escaped;		/* CSV: contains "" */
} SwSpan;

typedef enum SwEscapes
{
	SW_ESC_NONE,
	SW_ESC_JSON,
	SW_ESC_CSV
} SwEscapes;

struct SwFormat
{
	SwFormatKind kind;
	bool		raw_jsonb;		/* json without columns: payload as jsonb */
	int			natts;			/* of the staging table */
	int			ncols;			/* user columns, dropped ones left out */
	SwColumn   *cols;
	int16	   *hash;			/* column index + 1; 0 = empty slot */
	uint32		hashmask;
	SwSpan	   *spans;			/* one per column */
	char	   *scratch;		/* NUL-terminated strings for input functions */
	size_t		scratch_size;
	MemoryContext cxt;
	int			encoding;		/* the database's */
	int			cur_col;		/* column being converted, -1 if none */

	/* JSON: the parser's callbacks and their state during one parse */
	JsonSemAction sem;
	JsonLexContext *lex;
#if PG_VERSION_NUM < 160000
	JsonLexContext lexbuf;		/* reused for every message */
#endif
	const char *end;			/* of the payload */
	const char *name_pos;		/* the next top-level field name is after */
	int			field_col;		/* column of the current top-level field */
	int			field_no;		/* its position in the object */
	bool		seen_object;	/* the top-level value is an object */
	int16	   *guess;			/* column of field i in the previous message */
	bool		check_scanner;	/* compare json_scan with pg_parse_json */
	SwScannedField *scanned;	/* fields of the payload waiting for the check */
	int			nscanned;		/* more than SW_SCANNED_FIELDS: too many */
};

PG_FUNCTION_INFO_V1(sw_parse_payload);

/*
 * A buffer of at least 'need' bytes in the format's context, reused from
 * message to message.
 */
static char *
formats_scratch(SwFormat *fmt, size_t need)
{
	if (need > fmt->scratch_size)
	{
		size_t		size = Max(need, Min(fmt->scratch_size * 2, MaxAllocSize));

		if (fmt->scratch)
			pfree(fmt->scratch);
		fmt->scratch = MemoryContextAlloc(fmt->cxt, size);
		fmt->scratch_size = size;
	}
	return fmt->scratch;
}

/*
 * Hash of a field name: length and three bytes are enough to tell column
 * names apart in practice, and cost the same for long names; collisions
 * are settled by comparing the names.
 */
static inline uint32
formats_name_hash(const char *s, int len)
{
	uint32		h = (uint32) len;

	if (len > 0)
		h = ((h * 31 + (unsigned char) s[0]) * 31 +
			 (unsigned char) s[len / 2]) * 31 + (unsigned char) s[len - 1];
	return (h * 2654435761u) >> 16;
}

/* Does column c have exactly this name?  (Names are short: no memcmp call.) */
static inline bool
formats_column_is(SwFormat *fmt, int c, const char *name, int len)
{
	SwColumn   *col = &fmt->cols[c];

	if (col->namelen != len)
		return false;
	for (int i = 0; i < len; i++)
		if (col->name[i] != name[i])
			return false;
	return true;
}

/* Index of the column with this exact (case-sensitive) name, or -1 */
static int
formats_lookup_column(SwFormat *fmt, const char *name, int len)
{
	uint32		i = formats_name_hash(name, len) & fmt->hashmask;
	int			slot;

	while ((slot = fmt->hash[i]) != 0)
	{
		if (formats_column_is(fmt, slot - 1, name, len))
			return slot - 1;
		i = (i + 1) & fmt->hashmask;
	}
	return -1;
}

/*
 * Decode the escapes of a JSON string's contents, which the lexer has
 * already checked for syntax, into dst (room for formats_unescaped_size()
 * bytes).  Surrogate pairs and \u0000 are checked here, since the lexer
 * only checks them when it de-escapes itself.  Returns the length; dst is
 * NUL-terminated.
 */
static int
formats_json_unescape(SwFormat *fmt, const char *s, int len, char *dst)
{
	const char *end = s + len;
	char	   *d = dst;
	pg_wchar	hi = 0;			/* pending high surrogate */

	while (s < end)
	{
		pg_wchar	cp = 0;

		if (*s != '\\')
		{
			const char *bs = memchr(s, '\\', end - s);
			int			n = (bs ? bs : end) - s;

			if (hi)
				goto lone_high;
			memcpy(d, s, n);
			d += n;
			s += n;
			continue;
		}
		s++;
		if (*s != 'u')
		{
			if (hi)
				goto lone_high;
			switch (*s)
			{
				case 'b':
					*d++ = '\b';
					break;
				case 'f':
					*d++ = '\f';
					break;
				case 'n':
					*d++ = '\n';
					break;
				case 'r':
					*d++ = '\r';
					break;
				case 't':
					*d++ = '\t';
					break;
				default:		/* '"', '\\', '/' */
					*d++ = *s;
					break;
			}
			s++;
			continue;
		}
		for (int i = 1; i <= 4; i++)
		{
			char		c = s[i];

			cp = cp * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		s += 5;
		if (is_utf16_surrogate_first(cp))
		{
			if (hi)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid JSON"),
						 errdetail("Unicode high surrogate must not follow a high surrogate.")));
			hi = cp;
			continue;
		}
		if (is_utf16_surrogate_second(cp))
		{
			if (!hi)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid JSON"),
						 errdetail("Unicode low surrogate must follow a high surrogate.")));
			cp = surrogate_pair_to_codepoint(hi, cp);
			hi = 0;
		}
		else if (hi)
			goto lone_high;
		if (cp == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
					 errmsg("unsupported Unicode escape sequence"),
					 errdetail("\\u0000 cannot be converted to text.")));
		if (cp < 0x80)
			*d++ = (char) cp;
		else if (fmt->encoding == PG_UTF8)
		{
			unicode_to_utf8(cp, (unsigned char *) d);
			d += pg_utf_mblen((unsigned char *) d);
		}
		else
		{
			pg_unicode_to_server(cp, (unsigned char *) d);
			d += strlen(d);
		}
	}
	if (hi)
		goto lone_high;
	*d = '\0';
	return d - dst;

lone_high:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid JSON"),
			 errdetail("Unicode low surrogate must follow a high surrogate.")));
	return 0;					/* keep compiler quiet */
}

/* Room that decoding len bytes of escaped text needs, without the NUL */
static inline size_t
formats_unescaped_size(SwFormat *fmt, int len, SwEscapes esc)
{
	/* \uXXXX can become up to MAX_UNICODE_EQUIVALENT_STRING bytes */
	if (esc == SW_ESC_JSON && fmt->encoding != PG_UTF8)
		return (size_t) len * 3;
	return len;
}

static int
formats_unescape(SwFormat *fmt, const char *p, int len, SwEscapes esc,
				 char *dst)
{
	char	   *d = dst;

	if (esc == SW_ESC_JSON)
		return formats_json_unescape(fmt, p, len, dst);

	/* CSV: inside quotes, every '"' is the first of a pair */
	for (int i = 0; i < len; i++)
	{
		*d++ = p[i];
		if (p[i] == '"')
			i++;
	}
	*d = '\0';
	return d - dst;
}

static inline Datum
formats_text_datum(const char *p, int len)
{
	text	   *t = (text *) palloc(VARHDRSZ + len);

	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), p, len);
	return PointerGetDatum(t);
}

/* The column type's input function on p[0..len) */
static Datum
formats_input(SwFormat *fmt, SwColumn *col, const char *p, int len)
{
	char	   *str = fmt->scratch;

	if (p != str)
	{
		str = formats_scratch(fmt, (size_t) len + 1);
		memcpy(str, p, len);
		str[len] = '\0';
	}
#if PG_VERSION_NUM >= 160000
	{
		ErrorSaveContext escontext = {T_ErrorSaveContext};
		Datum		result;

		escontext.details_wanted = true;
		if (!InputFunctionCallSafe(&col->infunc, str, col->typioparam,
								   col->typmod, (Node *) &escontext, &result))
			ThrowErrorData(escontext.error_data);	/* caught by our caller */
		return result;
	}
#else
	return InputFunctionCall(&col->infunc, str, col->typioparam, col->typmod);
#endif
}

static inline int
formats_digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Fast path for the common timestamp form
 *	  YYYY-MM-DD[T| ]HH:MM:SS[.f{1,6}][Z|+HH|+HHMM|+HH:MM]  (or '-' offsets)
 * read as UTC when it has no offset.  Gives what timestamptz_in gives (in
 * a UTC session); returns false for anything else, which then goes to
 * timestamptz_in.
 */
static bool
formats_iso_timestamptz(const char *s, int len, TimestampTz *result)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			year,
				mon,
				mday,
				hour,
				min,
				sec,
				pos = 19;
	int64		fsec = 0;
	int			tzsecs = 0;

	if (len < 19 || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return false;
	year = formats_digits(s, 4);
	mon = formats_digits(s + 5, 2);
	mday = formats_digits(s + 8, 2);
	hour = formats_digits(s + 11, 2);
	min = formats_digits(s + 14, 2);
	sec = formats_digits(s + 17, 2);
	if (year < 1 || mon < 1 || mon > 12 || mday < 1 ||
		hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59)
		return false;
	if (mday > mdays[mon - 1] +
		(mon == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
		return false;

	if (pos < len && s[pos] == '.')
	{
		int			ndig = 0;

		for (pos++; pos < len && s[pos] >= '0' && s[pos] <= '9'; pos++)
		{
			if (++ndig > 6)
				return false;	/* let timestamptz_in round */
			fsec = fsec * 10 + (s[pos] - '0');
		}
		if (ndig == 0)
			return false;
		for (; ndig < 6; ndig++)
			fsec *= 10;
	}
	if (pos < len)
	{
		const char *t = s + pos + 1;
		int			rest = len - pos - 1;
		int			tzh,
					tzm = 0;

		if (s[pos] == 'Z' && rest == 0)
			tzh = 0;
		else if (s[pos] != '+' && s[pos] != '-')
			return false;
		else if (rest == 2)
			tzh = formats_digits(t, 2);
		else if (rest == 4)
		{
			tzh = formats_digits(t, 2);
			tzm = formats_digits(t + 2, 2);
		}
		else if (rest == 5 && t[2] == ':')
		{
			tzh = formats_digits(t, 2);
			tzm = formats_digits(t + 3, 2);
		}
		else
			return false;
		if (tzh < 0 || tzh > 15 || tzm < 0 || tzm > 59)
			return false;
		tzsecs = tzh * SECS_PER_HOUR + tzm * SECS_PER_MINUTE;
		if (s[pos] == '-')
			tzsecs = -tzsecs;
	}

	*result = ((int64) (date2j(year, mon, mday) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			   hour * SECS_PER_HOUR + min * SECS_PER_MINUTE + sec - tzsecs) *
		USECS_PER_SEC + fsec;
	return true;
}

/*
 * A JSON number (syntax checked by the lexer) of milliseconds since
 * 1970-01-01 00:00:00+00, fraction and exponent allowed, to a timestamptz,
 * exact to the microsecond (rounded half away from zero).  False if out of
 * range.
 */
static bool
formats_epoch_ms(const char *s, int len, TimestampTz *result)
{
#define SW_EPOCH_DIGITS 40
	const char *end = s + len;
	char		digits[SW_EPOCH_DIGITS];
	int			nd = 0;
	int			scale = 3;		/* value = digits * 10^scale microseconds */
	bool		neg = false;
	uint64		us = 0;
	int			keep;

	if (s < end && *s == '-')
	{
		neg = true;
		s++;
	}
	for (; s < end && *s >= '0' && *s <= '9'; s++)
	{
		if (nd == 0 && *s == '0')
			continue;
		if (nd < SW_EPOCH_DIGITS)
			digits[nd++] = *s - '0';
		else
			scale++;
	}
	if (s < end && *s == '.')
	{
		for (s++; s < end && *s >= '0' && *s <= '9'; s++)
		{
			if (nd == 0 && *s == '0')
				scale--;
			else if (nd < SW_EPOCH_DIGITS)
			{
				digits[nd++] = *s - '0';
				scale--;
			}
		}
	}
	if (s < end && (*s == 'e' || *s == 'E'))
	{
		bool		eneg = false;
		int			e = 0;

		s++;
		if (s < end && (*s == '+' || *s == '-'))
			eneg = (*s++ == '-');
		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if (e < 100000)
				e = e * 10 + (*s - '0');
		scale += eneg ? -e : e;
	}

	/* the digits that stay left of the microsecond point */
	keep = nd + Min(scale, 0);
	if (keep + Max(scale, 0) > 19)
		return false;			/* 10^19 microseconds and more */
	for (int i = 0; i < keep; i++)
		us = us * 10 + digits[i];
	for (int i = 0; i < scale; i++)
		us *= 10;
	if (keep >= 0 && keep < nd && digits[keep] >= 5)
		us++;
	if (us > (uint64) PG_INT64_MAX)
		return false;
	if (pg_sub_s64_overflow(neg ? -(int64) us : (int64) us,
							(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY,
							result))
		return false;
	return IS_VALID_TIMESTAMP(*result);
#undef SW_EPOCH_DIGITS
}

/* A datum from p[0..len) taken as it is (no escapes) */
static Datum
formats_plain_datum(SwFormat *fmt, SwColumn *col, const char *p, int len)
{
	TimestampTz ts;

	if (col->conv == SW_CONV_TEXT)
		return formats_text_datum(p, len);
	if (col->conv == SW_CONV_TIMESTAMPTZ && formats_iso_timestamptz(p, len, &ts))
		return TimestampTzGetDatum(ts);
	return formats_input(fmt, col, p, len);
}

/* A datum from the contents of a JSON string or a CSV field */
static Datum
formats_string_datum(SwFormat *fmt, SwColumn *col, const char *p, int len,
					 SwEscapes esc)
{
	if (esc != SW_ESC_NONE)
	{
		size_t		size = formats_unescaped_size(fmt, len, esc);
		char	   *dst;

		if (col->conv == SW_CONV_TEXT)
		{
			text	   *t = (text *) palloc(VARHDRSZ + size + 1);

			len = formats_unescape(fmt, p, len, esc, VARDATA(t));
			SET_VARSIZE(t, VARHDRSZ + len);
			return PointerGetDatum(t);
		}
		dst = formats_scratch(fmt, size + 1);
		len = formats_unescape(fmt, p, len, esc, dst);
		p = dst;
	}
	return formats_plain_datum(fmt, col, p, len);
}

/* A datum from the JSON value noted in span */
static Datum
formats_json_datum(SwFormat *fmt, SwColumn *col, SwSpan *span)
{
	TimestampTz ts;

	switch (span->kind)
	{
		case JSON_TOKEN_STRING:
			{
				const char *p = span->p + 1;
				int			len = span->len - 2;

				return formats_string_datum(fmt, col, p, len,
											memchr(p, '\\', len) ?
											SW_ESC_JSON : SW_ESC_NONE);
			}
		case JSON_TOKEN_NUMBER:
			if (col->conv != SW_CONV_TIMESTAMPTZ)
				return formats_plain_datum(fmt, col, span->p, span->len);
			if (!formats_epoch_ms(span->p, span->len, &ts))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("timestamp out of range: %.*s milliseconds",
								span->len, span->p)));
			return TimestampTzGetDatum(ts);
		case JSON_TOKEN_OBJECT_START:
		case JSON_TOKEN_ARRAY_START:
			if (col->json_as_text)
				return formats_text_datum(span->p, span->len);
			if (col->takes_json)
				return formats_input(fmt, col, span->p, span->len);
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("a JSON %s cannot be converted to type %s",
							span->kind == JSON_TOKEN_OBJECT_START ?
							"object" : "array", col->typname)));
			break;
		default:				/* true, false */
			break;
	}
	return formats_plain_datum(fmt, col, span->p, span->len);
}

/*
 * A top-level field: note where its value lies if its name is a column's.
 * name/len: the name's contents, still escaped if 'escaped'.
 */
static void
formats_json_field(SwFormat *fmt, const char *name, int len, bool escaped,
				   JsonTokenType kind, const char *value, int valuelen)
{
	int			c;

	if (escaped)
	{
		char	   *buf = formats_scratch(fmt, formats_unescaped_size(fmt, len, SW_ESC_JSON) + 1);

		len = formats_json_unescape(fmt, name, len, buf);
		name = buf;
	}

	/*
	 * Producers tend to write the fields in the same order every time: try
	 * the column that had this position in the previous message first.
	 */
	c = fmt->field_no < SW_GUESS_FIELDS ? fmt->guess[fmt->field_no] : -1;
	if (c < 0 || !formats_column_is(fmt, c, name, len))
	{
		c = formats_lookup_column(fmt, name, len);
		if (fmt->field_no < SW_GUESS_FIELDS)
			fmt->guess[fmt->field_no] = c;
	}
	fmt->field_no++;
	fmt->field_col = c;
	if (c >= 0)
	{
		SwSpan	   *span = &fmt->spans[c];

		span->kind = kind;
		span->p = value;
		span->len = valuelen;
	}
}

/* json_scan_object's callback */
static void
formats_json_scanned_field(void *arg, const char *name, int namelen,
						   bool name_escaped, JsonTokenType kind,
						   const char *value, int valuelen)
{
	SwFormat   *fmt = (SwFormat *) arg;
	SwScannedField *f;

	/*
	 * A plain name is looked up at once: that can raise no error.  From the
	 * first escaped one on (de-escaping can), fields wait, in order, for
	 * the encoding check.
	 */
	if (!name_escaped && fmt->nscanned == 0)
	{
		formats_json_field(fmt, name, namelen, false, kind, value, valuelen);
		return;
	}
	if (fmt->nscanned >= SW_SCANNED_FIELDS)
	{
		fmt->nscanned = SW_SCANNED_FIELDS + 1;	/* too many: pg_parse_json reads it */
		return;
	}
	f = &fmt->scanned[fmt->nscanned++];
	f->name = name;
	f->namelen = namelen;
	f->name_escaped = name_escaped;
	f->kind = kind;
	f->value = value;
	f->valuelen = valuelen;
}

/*
 * pg_parse_json callbacks (the reference path).  Only the top level
 * matters: the object itself (lex_level 0) and its fields (lex_level 1).
 */
static SW_JSON_ACTION
formats_json_object_start(void *state)
{
	SwFormat   *fmt = (SwFormat *) state;

	if (fmt->lex->lex_level == 0)
	{
		fmt->seen_object = true;
		fmt->name_pos = fmt->lex->token_start + 1;	/* after the '{' */
	}
	SW_JSON_ACTION_DONE;
}

/*
 * The parser has just read "name" ':' and the first token of the value.
 * The name lies between name_pos and the value; the lexer has checked it.
 */
static SW_JSON_ACTION
formats_json_field_start(void *state, char *fname, bool isnull)
{
	SwFormat   *fmt = (SwFormat *) state;
	JsonLexContext *lex = fmt->lex;
	const char *p = fmt->name_pos;
	const char *name;
	bool		escaped = false;

	if (lex->lex_level != 1)
		SW_JSON_ACTION_DONE;

	while (p < fmt->end && *p != '"')
		p++;					/* whitespace */
	name = ++p;
	while (p < fmt->end && *p != '"')
	{
		if (*p == '\\')
		{
			escaped = true;
			p++;
		}
		p++;
	}
	formats_json_field(fmt, name, p - name, escaped, lex->token_type,
					   lex->token_start,
					   lex->token_terminator - lex->token_start);
	SW_JSON_ACTION_DONE;
}

/* The parser has read the value and the token after it (',' or '}') */
static SW_JSON_ACTION
formats_json_field_end(void *state, char *fname, bool isnull)
{
	SwFormat   *fmt = (SwFormat *) state;
	JsonLexContext *lex = fmt->lex;

	if (lex->lex_level != 1)
		SW_JSON_ACTION_DONE;

	if (fmt->field_col >= 0)
	{
		SwSpan	   *span = &fmt->spans[fmt->field_col];

		/* an object or array ends where the parser's previous token did */
		if (span->kind == JSON_TOKEN_OBJECT_START ||
			span->kind == JSON_TOKEN_ARRAY_START)
			span->len = lex->prev_token_terminator - span->p;
	}
	if (lex->token_start != NULL)
		fmt->name_pos = lex->token_start + 1;
	SW_JSON_ACTION_DONE;
}

/* Forget the spans of the previous message (or of an unsure scan) */
static void
formats_json_reset(SwFormat *fmt, const char *payload, size_t len)
{
	memset(fmt->spans, 0, sizeof(SwSpan) * fmt->ncols);
	fmt->end = payload + len;
	fmt->field_col = -1;
	fmt->field_no = 0;
	fmt->seen_object = false;
}

/* The reference path: pg_parse_json with our callbacks, spans as the scanner's */
static JsonParseErrorType
formats_json_reference(SwFormat *fmt, const char *payload, size_t len)
{
	JsonLexContext *lex;
#if PG_VERSION_NUM >= 170000
	JsonLexContext lexbuf;

	lex = makeJsonLexContextCstringLen(&lexbuf, (char *) payload, len,
									   fmt->encoding, false);
#elif PG_VERSION_NUM >= 160000
	lex = makeJsonLexContextCstringLen((char *) payload, (int) len,
									   fmt->encoding, false);
#else

	/*
	 * What makeJsonLexContextCstringLen() does without need_escapes, minus
	 * its palloc: the struct is public and stable within a major version.
	 */
	lex = &fmt->lexbuf;
	memset(lex, 0, sizeof(JsonLexContext));
	lex->input = lex->token_terminator = lex->line_start = (char *) payload;
	lex->line_number = 1;
	lex->input_length = (int) len;
	lex->input_encoding = fmt->encoding;
#endif

	formats_json_reset(fmt, payload, len);
	fmt->lex = lex;
	return pg_parse_json(lex, &fmt->sem);
}

/*
 * Test hook (sw._parse_payload): the scanner has accepted the payload;
 * pg_parse_json must accept it too and find the same spans.
 */
static void
formats_json_check_scanner(SwFormat *fmt, const char *payload, size_t len)
{
	SwSpan	   *scanned = palloc(sizeof(SwSpan) * fmt->ncols);

	memcpy(scanned, fmt->spans, sizeof(SwSpan) * fmt->ncols);
	if (formats_json_reference(fmt, payload, len) != JSON_SUCCESS ||
		!fmt->seen_object)
		elog(ERROR, "JSON scanner accepted a payload that pg_parse_json rejects");
	for (int c = 0; c < fmt->ncols; c++)
		if (scanned[c].kind != fmt->spans[c].kind ||
			(scanned[c].kind != JSON_TOKEN_INVALID &&
			 (scanned[c].p != fmt->spans[c].p ||
			  scanned[c].len != fmt->spans[c].len)))
			elog(ERROR, "JSON scanner and pg_parse_json disagree on column \"%s\"",
				 fmt->cols[c].name);
	pfree(scanned);
}

static void
formats_parse_json(SwFormat *fmt, const char *payload, size_t len,
				   Datum *values, bool *nulls)
{
	bool		ascii = false;
	JsonScanResult scan;

	formats_json_reset(fmt, payload, len);
	fmt->nscanned = 0;
	scan = json_scan_object(payload, len, formats_json_scanned_field, fmt, &ascii);
	if (fmt->nscanned > SW_SCANNED_FIELDS)
		scan = JSON_SCAN_UNSURE;
	/* all ASCII (no NUL either: the scanner takes none) is valid anywhere */
	if (scan != JSON_SCAN_OK || !ascii)
		(void) pg_verifymbstr(payload, (int) len, false);
	if (scan == JSON_SCAN_OK)
	{
		/* the fields that waited, in payload order (the last duplicate wins) */
		for (int i = 0; i < fmt->nscanned; i++)
		{
			SwScannedField *f = &fmt->scanned[i];

			formats_json_field(fmt, f->name, f->namelen, f->name_escaped,
							   f->kind, f->value, f->valuelen);
		}
		if (fmt->check_scanner)
			formats_json_check_scanner(fmt, payload, len);
	}
	else
	{
		JsonParseErrorType res = formats_json_reference(fmt, payload, len);

		if (res != JSON_SUCCESS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid JSON"),
					 errdetail_internal("%s", json_errdetail(res, fmt->lex))));
		if (!fmt->seen_object)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("payload is not a JSON object")));
	}

	for (int c = 0; c < fmt->ncols; c++)
	{
		SwColumn   *col = &fmt->cols[c];
		SwSpan	   *span = &fmt->spans[c];

		if (span->kind == JSON_TOKEN_INVALID || span->kind == JSON_TOKEN_NULL)
			continue;			/* missing or null: stays NULL */
		fmt->cur_col = c;
		values[col->attidx] = formats_json_datum(fmt, col, span);
		nulls[col->attidx] = false;
	}
}

/*
 * RFC 4180, one record: fields separated by ',', optionally quoted with
 * '"' ('""' inside quotes is a quote; quoted fields may hold ',' and line
 * breaks).  One trailing line break is ignored.  An empty unquoted field is
 * NULL; "" is the empty string.
 */
static void
formats_parse_csv(SwFormat *fmt, const char *payload, size_t len,
				  Datum *values, bool *nulls)
{
	const char *p = payload;
	const char *end = payload + len;
	int			nfields = 0;
	SwSpan		extra;

	if (end > p && end[-1] == '\n')
	{
		end--;
		if (end > p && end[-1] == '\r')
			end--;
	}

	for (;;)
	{
		SwSpan	   *span = nfields < fmt->ncols ? &fmt->spans[nfields] : &extra;

		nfields++;
		if (p < end && *p == '"')
		{
			const char *q = p + 1;
			bool		escaped = false;

			for (;;)
			{
				q = memchr(q, '"', end - q);
				if (q == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("unterminated quoted CSV field %d",
									nfields)));
				if (q + 1 < end && q[1] == '"')
				{
					escaped = true;
					q += 2;
					continue;
				}
				break;
			}
			span->kind = SW_SPAN_CSV_QUOTED;
			span->p = p + 1;
			span->len = q - (p + 1);
			span->escaped = escaped;
			p = q + 1;
			if (p < end && *p != ',')
				ereport(ERROR,
						(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						 errmsg("unexpected character after the closing quote of CSV field %d",
								nfields)));
		}
		else
		{
			const char *q = p;

			for (; q < end && *q != ','; q++)
			{
				if (*q == '"')
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("quote in unquoted CSV field %d", nfields)));
				if (*q == '\n' || *q == '\r')
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("line break in unquoted CSV field %d",
									nfields)));
			}
			span->kind = SW_SPAN_CSV_UNQUOTED;
			span->p = p;
			span->len = q - p;
			span->escaped = false;
			p = q;
		}
		if (p >= end)
			break;
		p++;					/* the ',' */
	}
	if (nfields != fmt->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("expected %d CSV fields, found %d",
						fmt->ncols, nfields)));

	for (int c = 0; c < fmt->ncols; c++)
	{
		SwColumn   *col = &fmt->cols[c];
		SwSpan	   *span = &fmt->spans[c];

		if (span->kind == SW_SPAN_CSV_UNQUOTED && span->len == 0)
			continue;			/* NULL */
		fmt->cur_col = c;
		values[col->attidx] = formats_string_datum(fmt, col, span->p, span->len,
												   span->escaped ?
												   SW_ESC_CSV : SW_ESC_NONE);
		nulls[col->attidx] = false;
	}
}

/*
 * Is this error about the message (a dead letter), or about the system
 * (rethrown: the batch fails and is retried)?
 */
static bool
formats_error_is_bad_message(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_INVALID_TRANSACTION_STATE:
		case ERRCODE_TRANSACTION_ROLLBACK:
		case ERRCODE_INSUFFICIENT_RESOURCES:
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
		case ERRCODE_OPERATOR_INTERVENTION:
		case ERRCODE_SYSTEM_ERROR:
		case ERRCODE_INTERNAL_ERROR:
			return false;
		default:
			return true;
	}
}

/* "column "ip": <message>[: <detail>]", at most about SW_MAX_ERROR_LEN */
static char *
formats_error_text(SwFormat *fmt, ErrorData *edata)
{
	SwColumn   *col = fmt->cur_col >= 0 ? &fmt->cols[fmt->cur_col] : NULL;
	StringInfoData buf;

	initStringInfo(&buf);
	if (col != NULL && !fmt->raw_jsonb)
		appendStringInfo(&buf, "column \"%s\": ", col->name);
	if (col != NULL && col->is_json && edata->detail != NULL &&
		edata->sqlerrcode == ERRCODE_INVALID_TEXT_REPRESENTATION)
		appendStringInfo(&buf, "invalid JSON: %s", edata->detail);
	else
	{
		appendStringInfoString(&buf, edata->message ? edata->message : "unknown error");
		if (edata->detail != NULL)
			appendStringInfo(&buf, ": %s", edata->detail);
	}
	if (buf.len > SW_MAX_ERROR_LEN)
	{
		buf.len = pg_mbcliplen(buf.data, buf.len, SW_MAX_ERROR_LEN);
		buf.data[buf.len] = '\0';
		appendStringInfoString(&buf, "...");
	}
	return buf.data;
}

bool
formats_parse(SwFormat *fmt, const char *payload, size_t len,
			  Datum *values, bool *nulls, char **error)
{
	MemoryContext callercxt = CurrentMemoryContext;
	volatile bool ok = true;

	for (int i = SW_KAFKA_COLUMNS; i < fmt->natts; i++)
	{
		values[i] = (Datum) 0;
		nulls[i] = true;
	}
	if (len > SW_MAX_PAYLOAD)
	{
		*error = psprintf("payload too large: %zu bytes", len);
		return false;
	}

	fmt->cur_col = -1;
	PG_TRY();
	{
		/* JSON objects are checked by formats_parse_json, after the scan */
		if (fmt->kind != SW_FORMAT_JSON || fmt->raw_jsonb)
			(void) pg_verifymbstr(payload, (int) len, false);

		switch (fmt->kind)
		{
			case SW_FORMAT_JSON:
				if (fmt->raw_jsonb)
				{
					Datum		doc;

					fmt->cur_col = 0;
					doc = formats_input(fmt, &fmt->cols[0], payload, (int) len);
					/* a source reads JSON objects, in this mode too */
					if (!JB_ROOT_IS_OBJECT(DatumGetJsonbP(doc)) ||
						JB_ROOT_IS_SCALAR(DatumGetJsonbP(doc)))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
								 errmsg("payload is not a JSON object")));
					values[fmt->cols[0].attidx] = doc;
					nulls[fmt->cols[0].attidx] = false;
				}
				else
					formats_parse_json(fmt, payload, len, values, nulls);
				break;
			case SW_FORMAT_CSV:
				formats_parse_csv(fmt, payload, len, values, nulls);
				break;
			case SW_FORMAT_TEXT:
				values[fmt->cols[0].attidx] = formats_text_datum(payload, (int) len);
				nulls[fmt->cols[0].attidx] = false;
				break;
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* see the file header for why no subtransaction is needed */
		MemoryContextSwitchTo(callercxt);
		edata = CopyErrorData();
		if (!formats_error_is_bad_message(edata->sqlerrcode))
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		FlushErrorState();
		*error = formats_error_text(fmt, edata);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();

	fmt->cur_col = -1;
	return ok;
}

SwFormatKind
formats_kind_from_name(const char *name)
{
	if (pg_strcasecmp(name, "json") == 0)
		return SW_FORMAT_JSON;
	if (pg_strcasecmp(name, "csv") == 0)
		return SW_FORMAT_CSV;
	if (pg_strcasecmp(name, "text") == 0)
		return SW_FORMAT_TEXT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized message format \"%s\"", name),
			 errdetail("A source reads JSON objects, CSV records or plain text."),
			 errhint("Valid formats are \"json\", \"csv\" and \"text\".")));
	return SW_FORMAT_JSON;		/* keep compiler quiet */
}

/*
 * Is the type a domain or a composite, or an array or range of one?  Their
 * input functions can run arbitrary code (a domain's CHECK constraints) or
 * hold a tuple descriptor reference when they fail (record_in), which a
 * caught error would leak: see the file header.
 */
static bool
formats_type_is_unsafe(Oid typid)
{
	char		typtype;
	Oid			elemtype;

	check_stack_depth();
	typtype = get_typtype(typid);
	if (typtype == TYPTYPE_DOMAIN || typtype == TYPTYPE_COMPOSITE ||
		typid == RECORDOID)
		return true;
	if ((elemtype = get_element_type(typid)) != InvalidOid)
		return formats_type_is_unsafe(elemtype);
	if (typtype == TYPTYPE_RANGE)
		return formats_type_is_unsafe(get_range_subtype(typid));
#if PG_VERSION_NUM >= 140000
	if (typtype == TYPTYPE_MULTIRANGE)
		return formats_type_is_unsafe(get_multirange_range(typid));
#endif
	return false;
}

static void
formats_check_kafka_columns(Relation staging)
{
	static const struct
	{
		const char *name;
		Oid			typid;
	}			kafka[SW_KAFKA_COLUMNS] =
	{
		{"kafka_partition", INT4OID},
		{"kafka_offset", INT8OID},
		{"kafka_timestamp", TIMESTAMPTZOID},
		{"kafka_key", TEXTOID},
	};
	TupleDesc	tupdesc = RelationGetDescr(staging);

	for (int i = 0; i < SW_KAFKA_COLUMNS; i++)
	{
		Form_pg_attribute att = i < tupdesc->natts ? TupleDescAttr(tupdesc, i) : NULL;

		if (att == NULL || att->attisdropped ||
			strcmp(NameStr(att->attname), kafka[i].name) != 0 ||
			att->atttypid != kafka[i].typid)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("relation \"%s\" is not a staging table",
							RelationGetRelationName(staging)),
					 errdetail("A staging table starts with the columns kafka_partition int, kafka_offset bigint, kafka_timestamp timestamptz and kafka_key text.")));
	}
}

static void
formats_prepare_column(SwFormat *fmt, Form_pg_attribute att, SwColumn *col)
{
	Oid			typid = att->atttypid;
	Oid			infunc;
	char		category;
	bool		preferred;

	if (formats_type_is_unsafe(typid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" of a staging table cannot have type %s",
						NameStr(att->attname), format_type_be(typid)),
				 errdetail("Domain and composite types, and arrays and ranges of them, are not supported in staging tables."),
				 errhint("Use the domain's base type, or jsonb for structured values.")));

	col->attidx = att->attnum - 1;
	col->name = pstrdup(NameStr(att->attname));
	col->namelen = strlen(col->name);
	col->typid = typid;
	col->typmod = att->atttypmod;
	getTypeInputInfo(typid, &infunc, &col->typioparam);
	fmgr_info_cxt(infunc, &col->infunc, fmt->cxt);
	col->typname = format_type_be(typid);
	get_type_category_preferred(typid, &category, &preferred);

	if (typid == TEXTOID || (typid == VARCHAROID && col->typmod < 0))
		col->conv = SW_CONV_TEXT;
	else if (typid == TIMESTAMPTZOID)
		col->conv = SW_CONV_TIMESTAMPTZ;
	else
		col->conv = SW_CONV_INPUT;
	col->is_json = (typid == JSONOID || typid == JSONBOID);
	col->json_as_text = (col->conv == SW_CONV_TEXT || typid == JSONOID);
	col->takes_json = col->is_json ||
		(category == TYPCATEGORY_STRING && typid != CHAROID && typid != NAMEOID);
}

SwFormat *
formats_prepare(Relation staging, SwFormatKind kind, MemoryContext cxt)
{
	TupleDesc	tupdesc = RelationGetDescr(staging);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	SwFormat   *fmt;
	uint32		hashsize = 8;

	formats_check_kafka_columns(staging);

	fmt = (SwFormat *) palloc0(sizeof(SwFormat));
	fmt->kind = kind;
	fmt->cxt = cxt;
	fmt->encoding = GetDatabaseEncoding();
	fmt->natts = tupdesc->natts;
	fmt->cur_col = -1;
	fmt->cols = (SwColumn *) palloc0(sizeof(SwColumn) * fmt->natts);
	for (int i = SW_KAFKA_COLUMNS; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			formats_prepare_column(fmt, att, &fmt->cols[fmt->ncols++]);
	}

	if (fmt->ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("staging table \"%s\" has no user columns",
						RelationGetRelationName(staging))));
	if (kind == SW_FORMAT_TEXT &&
		(fmt->ncols != 1 || strcmp(fmt->cols[0].name, "payload") != 0 ||
		 fmt->cols[0].typid != TEXTOID))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("staging table \"%s\" does not fit format \"text\"",
						RelationGetRelationName(staging)),
				 errdetail("Format \"text\" needs exactly one user column, \"payload text\".")));
	fmt->raw_jsonb = (kind == SW_FORMAT_JSON && fmt->ncols == 1 &&
					  strcmp(fmt->cols[0].name, "payload") == 0 &&
					  fmt->cols[0].typid == JSONBOID);

	/* column name -> column, load factor at most 1/2 */
	while (hashsize < (uint32) fmt->ncols * 2)
		hashsize *= 2;
	fmt->hash = (int16 *) palloc0(sizeof(int16) * hashsize);
	fmt->hashmask = hashsize - 1;
	for (int c = 0; c < fmt->ncols; c++)
	{
		uint32		i = formats_name_hash(fmt->cols[c].name,
										  fmt->cols[c].namelen) & fmt->hashmask;

		while (fmt->hash[i] != 0)
			i = (i + 1) & fmt->hashmask;
		fmt->hash[i] = c + 1;
	}

	fmt->spans = (SwSpan *) palloc0(sizeof(SwSpan) * fmt->ncols);
	fmt->guess = (int16 *) palloc(sizeof(int16) * SW_GUESS_FIELDS);
	for (int i = 0; i < SW_GUESS_FIELDS; i++)
		fmt->guess[i] = -1;
	fmt->scratch_size = 256;
	fmt->scratch = palloc(fmt->scratch_size);
	fmt->scanned = palloc(sizeof(SwScannedField) * SW_SCANNED_FIELDS);

	fmt->sem.semstate = fmt;
	fmt->sem.object_start = formats_json_object_start;
	fmt->sem.object_field_start = formats_json_field_start;
	fmt->sem.object_field_end = formats_json_field_end;

	MemoryContextSwitchTo(oldcxt);
	return fmt;
}

/* The user columns as a row literal, as record_out writes it */
static char *
formats_row_text(Relation rel, Datum *values, bool *nulls)
{
	TupleDesc	reldesc = RelationGetDescr(rel);
	TupleDesc	tupdesc;
	Datum	   *uvalues = palloc(sizeof(Datum) * reldesc->natts);
	bool	   *unulls = palloc(sizeof(bool) * reldesc->natts);
	int			n = 0;

	for (int i = SW_KAFKA_COLUMNS; i < reldesc->natts; i++)
		if (!TupleDescAttr(reldesc, i)->attisdropped)
			n++;
	tupdesc = CreateTemplateTupleDesc(n);
	n = 0;
	for (int i = SW_KAFKA_COLUMNS; i < reldesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(reldesc, i);

		if (att->attisdropped)
			continue;
		n++;
		TupleDescInitEntry(tupdesc, n, NameStr(att->attname),
						   att->atttypid, att->atttypmod, 0);
		uvalues[n - 1] = values[i];
		unulls[n - 1] = nulls[i];
	}
	tupdesc = BlessTupleDesc(tupdesc);
	return OidOutputFunctionCall(F_RECORD_OUT,
								 HeapTupleGetDatum(heap_form_tuple(tupdesc, uvalues, unulls)));
}

/*
 * sw._parse_payload(staging regclass, format text, payload bytea) -> text
 *
 * Test hook: parse one payload for a staging table as the source worker
 * would, and show the user columns as a row literal, or 'ERROR: <text>'
 * for a bad message.  Like the worker, it reads offset-less timestamps in
 * TimeZone UTC.
 */
Datum
sw_parse_payload(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *format = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bytea	   *payload = PG_GETARG_BYTEA_PP(2);
	SwFormatKind kind = formats_kind_from_name(format);
	Relation	rel;
	SwFormat   *fmt;
	Datum	   *values;
	bool	   *nulls;
	char	   *error;
	char	   *result;
	int			nestlevel;
	bool		ok;

	rel = table_open(relid, AccessShareLock);
	fmt = formats_prepare(rel, kind, CurrentMemoryContext);
	fmt->check_scanner = true;
	values = (Datum *) palloc0(sizeof(Datum) * RelationGetDescr(rel)->natts);
	nulls = (bool *) palloc0(sizeof(bool) * RelationGetDescr(rel)->natts);

	nestlevel = NewGUCNestLevel();
	(void) set_config_option("TimeZone", "UTC", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ok = formats_parse(fmt, VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload),
					   values, nulls, &error);
	AtEOXact_GUC(true, nestlevel);

	if (ok)
		result = formats_row_text(rel, values, nulls);
	else
		result = psprintf("ERROR: %s", error);
	table_close(rel, AccessShareLock);

	PG_RETURN_TEXT_P(cstring_to_text(result));
}
