/*-------------------------------------------------------------------------
 *
 * sw_produce.c
 *	  Kafka producer for the tests, the demo and the benchmarks.
 *
 * The tests need exact control over what lands in a topic (keys, empty and
 * NULL keys, NULL payloads, partitions, timestamps), the demo needs a
 * stream of web-request events shaped like an HTTP interceptor's, and the
 * benchmarks need both fast and repeatable.  kcat covers only part of it,
 * so this small program does all three:
 *
 *		sw_produce -b BOOTSTRAP -t TOPIC [options]
 *
 * Input is either stdin, one message per line (optionally "key<SEP>value",
 * optionally "\N" for a NULL payload), or a generator: "web" events of
 * about 230 bytes of JSON, deterministic for a given --seed (and
 * --start-ms), with a share of out-of-order and malformed events; or "seq"
 * events {"n": i} keyed by i, for exactly-once checks.
 *
 * Every message is handed to librdkafka with a copy of its bytes; a full
 * local queue is waited out by serving delivery reports, never dropped.  At
 * the end the program waits for every delivery report, prints
 * "produced N" (the number delivered) on stdout, the delivered and failed
 * counts on stderr, and exits 1 if any delivery failed.
 *
 * The embedded broker (sw_broker) keeps only about 5 MB or 100,000 message
 * sets per partition and silently drops the oldest beyond that, so
 * --print-offsets also warns on stderr when a partition's low watermark is
 * above zero: some of what was produced is gone.  Batching decides the
 * size of the sets a consumer reads later; the defaults (linger.ms=5,
 * batch.num.messages=200) give the sets that read fastest there.  The
 * producer is idempotent by default, so that the retries that carry it
 * through a broker outage (sw_broker's SIGUSR1) cannot duplicate a message:
 * "--generate seq --count N" leaves exactly N messages in the topic.
 *
 * IDENTIFICATION
 *	  test/sw_produce.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* How many delivery errors are shown one by one before only counting. */
#define MAX_SHOWN_ERRORS	10

typedef enum InputMode
{
	INPUT_STDIN,
	INPUT_WEB,
	INPUT_SEQ
} InputMode;

typedef struct ProduceOptions
{
	const char *bootstrap;
	const char *topic;
	int32_t		partition;		/* -p, or RD_KAFKA_PARTITION_UA */
	int			partitions;		/* --partitions, or 0 */
	const char *key_sep;		/* -K, or NULL */
	bool		null_marker;	/* -N: "\N" is a NULL payload */
	InputMode	mode;
	int64_t		count;			/* --count, or -1 */
	uint64_t	seed;
	int64_t		start_ms;
	bool		start_set;
	double		step_ms;
	bool		step_set;
	double		out_of_order_pct;
	double		malformed_pct;
	int64_t		timestamp_ms;	/* 0: librdkafka uses the current time */
	double		rate;			/* messages per second, 0 = unlimited */
	bool		print_offsets;
	char	  **props;			/* -X key=value */
	int			nprops;
} ProduceOptions;

/* State shared with the delivery report callback (main thread only). */
typedef struct ProduceCounters
{
	int64_t		enqueued;
	int64_t		delivered;
	int64_t		failed;
	int64_t		shown_errors;
	bool	   *touched;		/* partitions with a delivered message */
	int32_t		ntouched;		/* allocated length of touched[] */
} ProduceCounters;

static const char *progname = "sw_produce";
static ProduceCounters counters;

/*
 * Data for the web generator.  Kept short so that an event is about 230
 * bytes, most of it field names and the timestamp.  user_agent and headers
 * are JSON texts carried in JSON strings, as from an HTTP interceptor that
 * serializes objects into string fields.  Keys are hosts: with only eight
 * of them, librdkafka's partitioner spreads events unevenly, so preloads
 * that must fill partitions evenly use --partitions.
 */
static const char *const web_hosts[] = {
	"shop.example.com", "www.example.com", "api.example.com",
	"blog.example.com", "cdn.example.com", "docs.example.com",
	"login.example.com", "m.example.com"
};

static const char *const web_urls[] = {
	"/", "/index.html", "/products", "/products/17", "/products/42",
	"/products/108", "/cart", "/checkout", "/login", "/logout",
	"/search?q=shoes", "/search?q=tea", "/api/v1/items", "/api/v1/items/7",
	"/api/v1/users/me", "/blog", "/blog/2026/launch", "/docs/start",
	"/static/app.js", "/favicon.ico"
};

static const char *const web_referrers[] = {
	"", "", "", "https://google.com/", "https://duckduckgo.com/",
	"https://example.com/"
};

static const char *const web_user_agents[] = {
	"{\"ua\":\"Firefox/132\",\"os\":\"Linux\"}",
	"{\"ua\":\"Chrome/131\",\"os\":\"Windows\"}",
	"{\"ua\":\"Safari/18\",\"os\":\"iOS\"}",
	"{\"ua\":\"Chrome/131\",\"os\":\"Android\"}",
	"{\"ua\":\"curl/8.5\",\"os\":null}"
};

static const char *const web_headers[] = {
	"{\"accept\":\"*/*\"}",
	"{\"lang\":\"en\"}",
	"{\"lang\":\"de\",\"dnt\":\"1\"}",
	"{\"accept\":\"text/html\"}"
};

#define LENGTHOF(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* Number of distinct client addresses: 10.0.0.1 .. 10.0.3.250 */
#define WEB_IPS				1000

/* The user agents and headers above, escaped as JSON string contents. */
static char *web_user_agents_esc[LENGTHOF(web_user_agents)];
static char *web_headers_esc[LENGTHOF(web_headers)];

static void
usage(FILE *out)
{
	fprintf(out,
			"%s produces test messages to a Kafka topic.\n"
			"\n"
			"Usage:\n"
			"  %s -b BOOTSTRAP -t TOPIC [options]\n"
			"\n"
			"Input (default: stdin, one message per line):\n"
			"  -K SEP                   lines are KEY<SEP>VALUE; a line without SEP\n"
			"                           has a NULL key\n"
			"  -N                       a value of \\N is a NULL payload\n"
			"  --generate web --count N [--seed S] [--start-ms EPOCHMS]\n"
			"           [--step-ms MS] [--out-of-order-pct P] [--malformed-pct P]\n"
			"                           JSON web-request events keyed by host\n"
			"  --generate seq --count N values {\"n\": i}, keys i, i = 0..N-1\n"
			"\n"
			"Delivery:\n"
			"  -p PART                  send every message to partition PART\n"
			"  --partitions K           send message i to partition i %% K\n"
			"                           (default: librdkafka's partitioner by key)\n"
			"  --timestamp-ms MS        message timestamp (default: now)\n"
			"  --rate R                 at most R messages per second (0: no limit)\n"
			"  -X KEY=VALUE             librdkafka property (repeatable; defaults\n"
			"                           linger.ms=5, batch.num.messages=200,\n"
			"                           enable.idempotence=true)\n"
			"  --print-offsets          print each partition's high watermark\n"
			"  --help                   show this help and exit\n"
			"\n"
			"web defaults: --seed 1, --start-ms now, --step-ms 1000/R with --rate R\n"
			"else 1, no out-of-order or malformed events.\n"
			"Prints \"produced N\" (messages delivered); exits 1 if any delivery\n"
			"failed, 2 on bad usage.\n",
			progname, progname);
}

static void usage_error(const char *fmt,...)
			__attribute__((format(printf, 1, 2), noreturn));

/* Report a command-line mistake and exit 2. */
static void
usage_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"%s --help\" for more information.\n", progname);
	exit(2);
}

static int64_t
parse_int64(const char *s, const char *what, int64_t min, int64_t max)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage_error("invalid %s \"%s\"", what, s);
	return (int64_t) v;
}

static double
parse_double(const char *s, const char *what, double min, double max)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		usage_error("invalid %s \"%s\"", what, s);
	return v;
}

static void *
xmalloc(size_t size)
{
	void	   *p = malloc(size);

	if (p == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	return p;
}

static double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t
wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * splitmix64: a small, fast generator whose whole state is one integer,
 * enough for deterministic test data.
 */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z;

	*state += UINT64_C(0x9E3779B97F4A7C15);
	z = *state;
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* A number in [0, n); the modulo bias is irrelevant for n this small. */
static uint32_t
rng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t) (rng_next(state) % n);
}

/* True with probability pct percent. */
static bool
rng_chance(uint64_t *state, double pct)
{
	if (pct <= 0)
		return false;
	return rng_below(state, 1000000) < (uint32_t) (pct * 10000);
}

/*
 * Return a malloc'd copy of text escaped for use between the quotes of a
 * JSON string.
 */
static char *
json_escape(const char *text)
{
	char	   *out = xmalloc(strlen(text) * 6 + 1);
	char	   *o = out;
	const unsigned char *p;

	for (p = (const unsigned char *) text; *p; p++)
	{
		if (*p == '"' || *p == '\\')
		{
			*o++ = '\\';
			*o++ = (char) *p;
		}
		else if (*p < 0x20)
			o += sprintf(o, "\\u%04x", *p);
		else
			*o++ = (char) *p;
	}
	*o = '\0';
	return out;
}

/*
 * Format epoch milliseconds as ISO-8601 UTC with milliseconds, e.g.
 * 2026-11-25T12:00:00.123Z.
 */
static void
format_iso_ms(int64_t ms, char *out, size_t outlen)
{
	int64_t		secs = ms / 1000;
	int			frac = (int) (ms % 1000);
	time_t		t;
	struct tm	tm;

	if (frac < 0)
	{
		frac += 1000;
		secs -= 1;
	}
	t = (time_t) secs;
	gmtime_r(&t, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/*
 * Build web event number i into buf; its key (the host) into *key.
 * Returns the length of the value.
 */
static size_t
generate_web(const ProduceOptions *opts, int64_t i, uint64_t *rng,
			 char *buf, size_t buflen, const char **key)
{
	const char *host;
	const char *url;
	const char *referrer;
	const char *ua;
	const char *headers;
	uint32_t	ipn;
	uint32_t	r;
	int			ms;
	int64_t		t_ms;
	bool		truncate = false;
	char		ip[32];
	char		when[64];
	int			len;

	host = web_hosts[rng_below(rng, LENGTHOF(web_hosts))];
	url = web_urls[rng_below(rng, LENGTHOF(web_urls))];
	referrer = web_referrers[rng_below(rng, LENGTHOF(web_referrers))];
	ua = web_user_agents_esc[rng_below(rng, LENGTHOF(web_user_agents))];
	headers = web_headers_esc[rng_below(rng, LENGTHOF(web_headers))];
	ipn = rng_below(rng, WEB_IPS);

	/* Response times: mostly fast, a tail of slow ones. */
	r = rng_below(rng, 100);
	if (r < 90)
		ms = 2 + (int) rng_below(rng, 98);
	else if (r < 99)
		ms = 100 + (int) rng_below(rng, 900);
	else
		ms = 1000 + (int) rng_below(rng, 4000);

	t_ms = opts->start_ms + (int64_t) ((double) i * opts->step_ms);
	if (rng_chance(rng, opts->out_of_order_pct))
		t_ms -= 1000 + rng_below(rng, 119001);
	format_iso_ms(t_ms, when, sizeof(when));

	snprintf(ip, sizeof(ip), "10.0.%u.%u", ipn / 250, ipn % 250 + 1);

	/* Malformed events: half valid JSON with a bad address, half cut off. */
	if (rng_chance(rng, opts->malformed_pct))
	{
		if (rng_below(rng, 2) == 0)
			strcpy(ip, "not-an-ip");
		else
			truncate = true;
	}

	len = snprintf(buf, buflen,
				   "{\"url\":\"%s\",\"referrer\":\"%s\","
				   "\"user_agent\":\"%s\",\"headers\":\"%s\","
				   "\"host\":\"%s\",\"ip\":\"%s\","
				   "\"event_time\":\"%s\",\"ms\":%d}",
				   url, referrer, ua, headers, host, ip, when, ms);

	/* Any proper prefix of a JSON object is invalid JSON. */
	if (truncate)
	{
		len = len / 3 + (int) rng_below(rng, (uint32_t) (len / 2));
		buf[len] = '\0';
	}

	*key = host;
	return (size_t) len;
}

/*
 * Delivery report callback, served by rd_kafka_poll()/rd_kafka_flush() on
 * the main thread.
 */
static void
delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	(void) rk;
	(void) opaque;

	if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		counters.failed++;
		if (counters.shown_errors++ < MAX_SHOWN_ERRORS)
			fprintf(stderr, "%s: delivery failed: %s\n",
					progname, rd_kafka_err2str(msg->err));
		return;
	}

	counters.delivered++;
	if (msg->partition >= 0)
	{
		if (msg->partition >= counters.ntouched)
		{
			int32_t		n = counters.ntouched > 0 ? counters.ntouched : 16;

			while (n <= msg->partition)
				n *= 2;
			counters.touched = realloc(counters.touched, n * sizeof(bool));
			if (counters.touched == NULL)
			{
				fprintf(stderr, "%s: out of memory\n", progname);
				exit(1);
			}
			memset(counters.touched + counters.ntouched, 0,
				   (n - counters.ntouched) * sizeof(bool));
			counters.ntouched = n;
		}
		counters.touched[msg->partition] = true;
	}
}

/*
 * Hand one message to librdkafka (which copies it).  key NULL means a NULL
 * key, value NULL a NULL payload.  A full local queue is waited out.
 */
static void
produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
			const char *key, size_t keylen, char *value, size_t valuelen,
			int64_t timestamp_ms)
{
	for (;;)
	{
		rd_kafka_resp_err_t err;

		err = rd_kafka_producev(rk,
								RD_KAFKA_V_RKT(rkt),
								RD_KAFKA_V_PARTITION(partition),
								RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
								RD_KAFKA_V_KEY(key, keylen),
								RD_KAFKA_V_VALUE(value, valuelen),
								RD_KAFKA_V_TIMESTAMP(timestamp_ms),
								RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			counters.enqueued++;
			return;
		}
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		{
			/* serve delivery reports until there is room again */
			rd_kafka_poll(rk, 10);
			continue;
		}
		counters.failed++;
		if (counters.shown_errors++ < MAX_SHOWN_ERRORS)
			fprintf(stderr, "%s: could not produce message: %s\n",
					progname, rd_kafka_err2str(err));
		return;
	}
}

/*
 * Sleep (serving delivery reports) until message number i is due under
 * --rate.  Lateness is not made up for by bursts beyond what the schedule
 * allows: the schedule is absolute, so the average rate holds.
 */
static void
pace(rd_kafka_t *rk, const ProduceOptions *opts, double started, int64_t i)
{
	double		due;
	double		ahead;

	if (opts->rate <= 0)
	{
		if (i % 128 == 0)
			rd_kafka_poll(rk, 0);
		return;
	}
	due = started + (double) i / opts->rate;
	while ((ahead = due - monotonic_seconds()) >= 0.001)
		rd_kafka_poll(rk, (int) (ahead * 1000));
	rd_kafka_poll(rk, 0);
}

static int32_t
target_partition(const ProduceOptions *opts, int64_t i)
{
	if (opts->partitions > 0)
		return (int32_t) (i % opts->partitions);
	return opts->partition;
}

/*
 * Produce from stdin: one message per line.
 */
static void
produce_stdin(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const ProduceOptions *opts,
			  double started)
{
	char	   *line = NULL;
	size_t		linecap = 0;
	ssize_t		linelen;
	size_t		seplen = opts->key_sep ? strlen(opts->key_sep) : 0;
	int64_t		i = 0;

	while ((linelen = getline(&line, &linecap, stdin)) != -1)
	{
		char	   *key = NULL;
		size_t		keylen = 0;
		char	   *value = line;
		size_t		valuelen;

		if (linelen > 0 && line[linelen - 1] == '\n')
			line[--linelen] = '\0';
		valuelen = (size_t) linelen;

		if (opts->key_sep != NULL)
		{
			char	   *sep = memmem(line, (size_t) linelen,
									 opts->key_sep, seplen);

			if (sep != NULL)
			{
				key = line;		/* possibly empty: an empty key, not NULL */
				keylen = (size_t) (sep - line);
				value = sep + seplen;
				valuelen = (size_t) linelen - keylen - seplen;
			}
		}
		if (opts->null_marker && valuelen == 2 &&
			value[0] == '\\' && value[1] == 'N')
		{
			value = NULL;
			valuelen = 0;
		}

		pace(rk, opts, started, i);
		produce_one(rk, rkt, target_partition(opts, i), key, keylen,
					value, valuelen, opts->timestamp_ms);
		i++;
	}
	if (ferror(stdin))
		fprintf(stderr, "%s: could not read stdin: %s\n",
				progname, strerror(errno));
	free(line);
}

/*
 * Produce --count generated messages.
 */
static void
produce_generated(rd_kafka_t *rk, rd_kafka_topic_t *rkt,
				  const ProduceOptions *opts, double started)
{
	uint64_t	rng = opts->seed;
	char		buf[1024];
	char		keybuf[32];
	int64_t		i;
	int			j;

	for (j = 0; j < LENGTHOF(web_user_agents); j++)
		web_user_agents_esc[j] = json_escape(web_user_agents[j]);
	for (j = 0; j < LENGTHOF(web_headers); j++)
		web_headers_esc[j] = json_escape(web_headers[j]);

	for (i = 0; i < opts->count; i++)
	{
		const char *key;
		size_t		len;

		if (opts->mode == INPUT_WEB)
			len = generate_web(opts, i, &rng, buf, sizeof(buf), &key);
		else
		{
			len = (size_t) snprintf(buf, sizeof(buf),
									"{\"n\": %" PRId64 "}", i);
			snprintf(keybuf, sizeof(keybuf), "%" PRId64, i);
			key = keybuf;
		}

		pace(rk, opts, started, i);
		produce_one(rk, rkt, target_partition(opts, i), key, strlen(key),
					buf, len, opts->timestamp_ms);
	}

	for (j = 0; j < LENGTHOF(web_user_agents); j++)
		free(web_user_agents_esc[j]);
	for (j = 0; j < LENGTHOF(web_headers); j++)
		free(web_headers_esc[j]);
}

/*
 * --print-offsets: the high watermark of every partition that received a
 * message, and a warning where the broker has dropped old messages.
 */
static void
print_offsets(rd_kafka_t *rk, const char *topic)
{
	int32_t		p;

	for (p = 0; p < counters.ntouched; p++)
	{
		int64_t		low;
		int64_t		high;
		rd_kafka_resp_err_t err;

		if (!counters.touched[p])
			continue;
		err = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high,
											   10000);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			fprintf(stderr, "%s: could not query watermarks of partition "
					"%" PRId32 ": %s\n", progname, p, rd_kafka_err2str(err));
			continue;
		}
		printf("partition %" PRId32 " high_watermark %" PRId64 "\n", p, high);
		if (low > 0)
			fprintf(stderr, "%s: warning: partition %" PRId32 " starts at "
					"offset %" PRId64 ": the broker dropped older messages\n",
					progname, p, low);
	}
}

static void
set_property(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char		errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr))
		!= RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "%s: invalid property %s=%s: %s\n",
				progname, name, value, errstr);
		exit(2);
	}
}

static void
parse_options(int argc, char **argv, ProduceOptions *opts)
{
	enum
	{
		OPT_GENERATE = 256,
		OPT_COUNT,
		OPT_SEED,
		OPT_START_MS,
		OPT_STEP_MS,
		OPT_OUT_OF_ORDER,
		OPT_MALFORMED,
		OPT_PARTITIONS,
		OPT_TIMESTAMP_MS,
		OPT_RATE,
		OPT_PRINT_OFFSETS
	};
	static const struct option long_options[] = {
		{"generate", required_argument, NULL, OPT_GENERATE},
		{"count", required_argument, NULL, OPT_COUNT},
		{"seed", required_argument, NULL, OPT_SEED},
		{"start-ms", required_argument, NULL, OPT_START_MS},
		{"step-ms", required_argument, NULL, OPT_STEP_MS},
		{"out-of-order-pct", required_argument, NULL, OPT_OUT_OF_ORDER},
		{"malformed-pct", required_argument, NULL, OPT_MALFORMED},
		{"partitions", required_argument, NULL, OPT_PARTITIONS},
		{"timestamp-ms", required_argument, NULL, OPT_TIMESTAMP_MS},
		{"rate", required_argument, NULL, OPT_RATE},
		{"print-offsets", no_argument, NULL, OPT_PRINT_OFFSETS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	memset(opts, 0, sizeof(*opts));
	opts->partition = RD_KAFKA_PARTITION_UA;
	opts->mode = INPUT_STDIN;
	opts->count = -1;
	opts->seed = 1;
	opts->props = xmalloc(sizeof(char *) * (argc + 1));

	while ((c = getopt_long(argc, argv, "b:t:p:K:NX:h", long_options,
							NULL)) != -1)
	{
		switch (c)
		{
			case 'b':
				opts->bootstrap = optarg;
				break;
			case 't':
				opts->topic = optarg;
				break;
			case 'p':
				opts->partition = (int32_t) parse_int64(optarg, "-p",
														0, INT32_MAX);
				break;
			case 'K':
				if (optarg[0] == '\0')
					usage_error("empty key separator (-K)");
				opts->key_sep = optarg;
				break;
			case 'N':
				opts->null_marker = true;
				break;
			case 'X':
				if (strchr(optarg, '=') == NULL)
					usage_error("invalid -X \"%s\": expected KEY=VALUE",
								optarg);
				opts->props[opts->nprops++] = optarg;
				break;
			case OPT_GENERATE:
				if (strcmp(optarg, "web") == 0)
					opts->mode = INPUT_WEB;
				else if (strcmp(optarg, "seq") == 0)
					opts->mode = INPUT_SEQ;
				else
					usage_error("unknown generator \"%s\": expected web or seq",
								optarg);
				break;
			case OPT_COUNT:
				opts->count = parse_int64(optarg, "--count", 0, INT64_MAX);
				break;
			case OPT_SEED:
				opts->seed = (uint64_t) parse_int64(optarg, "--seed",
													INT64_MIN, INT64_MAX);
				break;
			case OPT_START_MS:
				opts->start_ms = parse_int64(optarg, "--start-ms",
											 INT64_C(-62135596800000),
											 INT64_C(253402300799999));
				opts->start_set = true;
				break;
			case OPT_STEP_MS:
				opts->step_ms = parse_double(optarg, "--step-ms", 0, 1e9);
				opts->step_set = true;
				break;
			case OPT_OUT_OF_ORDER:
				opts->out_of_order_pct = parse_double(optarg,
													  "--out-of-order-pct",
													  0, 100);
				break;
			case OPT_MALFORMED:
				opts->malformed_pct = parse_double(optarg, "--malformed-pct",
												   0, 100);
				break;
			case OPT_PARTITIONS:
				opts->partitions = (int) parse_int64(optarg, "--partitions",
													 1, INT32_MAX);
				break;
			case OPT_TIMESTAMP_MS:
				opts->timestamp_ms = parse_int64(optarg, "--timestamp-ms",
												 1, INT64_MAX);
				break;
			case OPT_RATE:
				opts->rate = parse_double(optarg, "--rate", 0, 1e9);
				break;
			case OPT_PRINT_OFFSETS:
				opts->print_offsets = true;
				break;
			case 'h':
				usage(stdout);
				exit(0);
			default:
				fprintf(stderr, "Try \"%s --help\" for more information.\n",
						progname);
				exit(2);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	if (opts->bootstrap == NULL)
		usage_error("no bootstrap servers given (-b)");
	if (opts->topic == NULL)
		usage_error("no topic given (-t)");
	if (opts->partition != RD_KAFKA_PARTITION_UA && opts->partitions > 0)
		usage_error("-p and --partitions cannot be used together");
	if (opts->mode != INPUT_STDIN && opts->count < 0)
		usage_error("--generate needs --count");
	if (opts->mode == INPUT_STDIN && opts->count >= 0)
		usage_error("--count needs --generate");
	if (opts->mode != INPUT_STDIN && (opts->key_sep || opts->null_marker))
		usage_error("-K and -N apply to stdin input only");

	if (!opts->start_set)
		opts->start_ms = wall_clock_ms();
	if (!opts->step_set)
		opts->step_ms = opts->rate > 0 ? 1000.0 / opts->rate : 1.0;
}

int
main(int argc, char **argv)
{
	ProduceOptions opts;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char		errstr[512];
	double		started;
	double		elapsed;
	int			i;

	parse_options(argc, argv, &opts);

	conf = rd_kafka_conf_new();
	set_property(conf, "bootstrap.servers", opts.bootstrap);
	set_property(conf, "client.id", "sw_produce");
	set_property(conf, "linger.ms", "5");
	set_property(conf, "batch.num.messages", "200");
	/* retries after a broker outage must not duplicate messages */
	set_property(conf, "enable.idempotence", "true");
	for (i = 0; i < opts.nprops; i++)
	{
		char	   *eq = strchr(opts.props[i], '=');

		*eq = '\0';
		set_property(conf, opts.props[i], eq + 1);
	}
	rd_kafka_conf_set_dr_msg_cb(conf, delivery_report);

	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "%s: could not create producer: %s\n",
				progname, errstr);
		return 1;
	}
	rkt = rd_kafka_topic_new(rk, opts.topic, NULL);
	if (rkt == NULL)
	{
		fprintf(stderr, "%s: could not create topic handle \"%s\": %s\n",
				progname, opts.topic, rd_kafka_err2str(rd_kafka_last_error()));
		return 1;
	}

	started = monotonic_seconds();
	if (opts.mode == INPUT_STDIN)
		produce_stdin(rk, rkt, &opts, started);
	else
		produce_generated(rk, rkt, &opts, started);

	/* Wait for every delivery report; message.timeout.ms bounds this. */
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	elapsed = monotonic_seconds() - started;

	fprintf(stderr, "%s: delivered %" PRId64 ", failed %" PRId64
			" in %.3f s (%.0f msg/s)\n",
			progname, counters.delivered, counters.failed, elapsed,
			elapsed > 0 ? counters.delivered / elapsed : 0.0);
	printf("produced %" PRId64 "\n", counters.delivered);
	if (opts.print_offsets)
		print_offsets(rk, opts.topic);
	fflush(stdout);

	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(counters.touched);
	free(opts.props);
	return counters.failed > 0 ? 1 : 0;
}
