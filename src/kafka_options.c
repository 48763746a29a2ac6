/*-------------------------------------------------------------------------
 *
 * kafka_options.c
 *	  Which librdkafka properties a role may set, and which it may see.
 *
 * A source's options are librdkafka properties, passed to a client that
 * runs inside the server, as the source's owner.  Some properties make
 * librdkafka load a shared library (plugin.library.paths, at once, when
 * the property is set), run a program (sasl.kerberos.kinit.cmd) or read a
 * file of the server (every *.location, the Kerberos keytab); only a
 * superuser may set those, as postgres_fdw keeps its file options for
 * superusers.  Certificates and keys can be given inline instead (the
 * *.pem properties).
 *
 * What a non-superuser sees of the options (sw.sources.options, error
 * messages) is decided by an allowlist: the value of a property known not
 * to be secret is shown; every other value, including properties this list
 * has never heard of, is shown as ********.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "kafka_options.h"

PG_FUNCTION_INFO_V1(sw_mask_options);

#define MASK "********"

/* Properties that load code, run a program or name a server file. */
static const char *const unsafe_options[] = {
	"plugin.library.paths",
	"sasl.kerberos.kinit.cmd",
	"sasl.kerberos.keytab",
	"ssl.engine.location",
	"ssl.engine.id",
	"ssl.providers",
	"debug",
};

/* Properties whose values are not secret (librdkafka's CONFIGURATION.md). */
static const char *const public_options[] = {
	"allow.auto.create.topics", "api.version.fallback.ms", "api.version.request",
	"api.version.request.timeout.ms", "auto.commit.interval.ms", "auto.offset.reset",
	"bootstrap.servers", "broker.address.family", "broker.address.ttl",
	"broker.version.fallback", "check.crcs", "client.dns.lookup", "client.id",
	"client.rack", "client.software.name", "client.software.version",
	"connections.max.idle.ms", "consume.callback.max.messages",
	"coordinator.query.interval.ms", "debug", "enable.auto.commit",
	"enable.auto.offset.store", "enable.partition.eof", "enable.random.seed",
	"enable.sasl.oauthbearer.unsecure.jwt", "enable.ssl.certificate.verification",
	"fetch.error.backoff.ms", "fetch.max.bytes", "fetch.message.max.bytes",
	"fetch.min.bytes", "fetch.queue.backoff.ms", "fetch.wait.max.ms", "group.id",
	"group.instance.id", "group.protocol.type", "heartbeat.interval.ms",
	"isolation.level", "log.connection.close", "log.queue", "log.thread.name",
	"log_level", "max.in.flight", "max.in.flight.requests.per.connection",
	"max.partition.fetch.bytes", "max.poll.interval.ms", "message.copy.max.bytes",
	"message.max.bytes", "metadata.broker.list", "metadata.max.age.ms",
	"partition.assignment.strategy", "queued.max.messages.kbytes",
	"queued.min.messages", "receive.message.max.bytes", "reconnect.backoff.jitter.ms",
	"reconnect.backoff.max.ms", "reconnect.backoff.ms", "retry.backoff.max.ms",
	"retry.backoff.ms", "sasl.kerberos.min.time.before.relogin",
	"sasl.kerberos.principal", "sasl.kerberos.service.name", "sasl.mechanism",
	"sasl.mechanisms", "sasl.oauthbearer.client.id", "sasl.oauthbearer.method",
	"sasl.oauthbearer.scope", "sasl.oauthbearer.token.endpoint.url",
	"sasl.username", "security.protocol", "session.timeout.ms",
	"socket.blocking.max.ms", "socket.connection.setup.timeout.ms",
	"socket.keepalive.enable", "socket.max.fails", "socket.nagle.disable",
	"socket.receive.buffer.bytes", "socket.send.buffer.bytes", "socket.timeout.ms",
	"ssl.ca.certificate.stores", "ssl.ca.location", "ssl.ca.pem",
	"ssl.certificate.location", "ssl.certificate.pem", "ssl.cipher.suites",
	"ssl.crl.location", "ssl.curves.list", "ssl.endpoint.identification.algorithm",
	"ssl.key.location", "ssl.keystore.location", "ssl.sigalgs.list",
	"statistics.interval.ms", "topic.metadata.propagation.max.ms",
	"topic.metadata.refresh.fast.cnt", "topic.metadata.refresh.fast.interval.ms",
	"topic.metadata.refresh.interval.ms", "topic.metadata.refresh.sparse",
};

static bool
in_list(const char *key, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

static bool
option_is_unsafe(const char *key, const char *value)
{
	size_t		len = strlen(key);

	if (in_list(key, unsafe_options, lengthof(unsafe_options)))
		return true;
	if (len >= 9 && strcmp(key + len - 9, ".location") == 0)
		return true;
	/* the OIDC token endpoint is fetched by libcurl: no file:// and the like */
	if (strcmp(key, "sasl.oauthbearer.token.endpoint.url") == 0)
		return pg_strncasecmp(value, "https://", 8) != 0 &&
			pg_strncasecmp(value, "http://", 7) != 0;
	return false;
}

void
kafka_refuse_unsafe_options(const SwKafkaOptions *opts, bool is_superuser)
{
	if (is_superuser)
		return;
	for (int i = 0; i < opts->count; i++)
		if (option_is_unsafe(opts->keys[i], opts->values[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set Kafka option \"%s\"", opts->keys[i]),
					 errdetail("Options that load code, run programs or name files on the database server may only be set by a superuser."),
					 errhint("Give certificates and keys inline with ssl.ca.pem, ssl.certificate.pem and ssl.key.pem.")));
}

bool
kafka_option_is_public(const char *key)
{
	return in_list(key, public_options, lengthof(public_options));
}

char *
kafka_scrub_secrets(const char *text, const SwKafkaOptions *opts)
{
	char	   *out = pstrdup(text);

	for (int i = 0; opts && i < opts->count; i++)
	{
		const char *secret = opts->values[i];
		size_t		len = strlen(secret);
		StringInfoData buf;
		const char *p,
				   *hit;

		if (len == 0 || kafka_option_is_public(opts->keys[i]))
			continue;
		initStringInfo(&buf);
		for (p = out; (hit = strstr(p, secret)) != NULL; p = hit + len)
		{
			appendBinaryStringInfo(&buf, p, hit - p);
			appendStringInfoString(&buf, MASK);
		}
		appendStringInfoString(&buf, p);
		out = buf.data;
	}
	return out;
}

/*
 * sw._mask_options(jsonb): the options as a non-superuser may see them;
 * unchanged for superusers.
 */
Datum
sw_mask_options(PG_FUNCTION_ARGS)
{
	Jsonb	   *options = PG_GETARG_JSONB_P(0);
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;
	bool		public_key = false;

	if (superuser() || !JB_ROOT_IS_OBJECT(options))
		PG_RETURN_JSONB_P(options);
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);

			public_key = kafka_option_is_public(key);
		}
		else if (tok == WJB_VALUE && !public_key)
		{
			v.type = jbvString;
			v.val.string.val = MASK;
			v.val.string.len = strlen(MASK);
		}
		res = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
