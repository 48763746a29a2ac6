/*-------------------------------------------------------------------------
 *
 * kafka.c
 *	  The one place that talks to librdkafka.
 *
 * A source worker consumes with explicit partition assignment and never
 * commits offsets to Kafka: the offsets live in sw.source_offset, in the
 * same transaction as the rows they produced.  group.id is set only because
 * librdkafka's consumer queue needs one; no group protocol is used.
 *
 * librdkafka runs threads of its own, and nothing on those threads may
 * palloc or elog.  Logs and client errors are therefore routed to the main
 * queue (log.queue) and served by kafka_poll_events() on the worker's own
 * thread; messages wait in the consumer queue, whose "became non-empty"
 * event writes a byte to a pipe that the worker waits on with its latch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "kafka.h"
#include "kafka_options.h"

struct SwKafka
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *consumer_queue;
	rd_kafka_queue_t *main_queue;
	char	   *topic;
	int			pipefd[2];
	char		last_error[512];
	bool		has_error;
	const SwKafkaOptions *opts;	/* whose secrets never reach a message */
};

/* the SwKafka whose callbacks are being served (one per worker process) */
static SwKafka *serving = NULL;

/*
 * librdkafka's callbacks run inside librdkafka's own frames (rd_kafka_poll,
 * rd_kafka_new): an ERROR thrown there would unwind through them.  So they
 * only copy into fixed buffers, and what they kept is reported (scrubbed
 * of secrets, as LOG lines) once librdkafka has returned: log_flush.
 */
#define LOG_LINES	32
#define LOG_LINE_LEN 512

static struct
{
	int			level;
	char		text[LOG_LINE_LEN];
}			log_lines[LOG_LINES];
static int	log_count = 0;
static int	log_dropped = 0;

static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	if (serving == NULL)
		return;
	snprintf(serving->last_error, sizeof(serving->last_error), "%s: %s",
			 rd_kafka_err2str(err), reason);
	serving->has_error = true;
}

static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (log_count == LOG_LINES)
	{
		log_dropped++;
		return;
	}
	log_lines[log_count].level = level;
	snprintf(log_lines[log_count++].text, LOG_LINE_LEN, "%s: %s", fac, buf);
}

/* What the callbacks kept, reported now that librdkafka has returned. */
static void
log_flush(const SwKafkaOptions *opts)
{
	int			n = log_count;
	int			dropped = log_dropped;

	log_count = log_dropped = 0;
	for (int i = 0; i < n; i++)
		/* syslog levels: 0..3 are errors, 4 warnings, the rest chatter */
		elog(log_lines[i].level <= 4 ? LOG : DEBUG1, "librdkafka %s",
			 kafka_scrub_secrets(log_lines[i].text, opts));
	if (dropped > 0)
		elog(LOG, "librdkafka: %d more log lines not shown", dropped);
}

static void
conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
		 const SwKafkaOptions *opts)
{
	char		errstr[512];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
	{
		rd_kafka_conf_destroy(conf);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid Kafka option \"%s\"", key),
				 errdetail("librdkafka: %s", kafka_scrub_secrets(errstr, opts)),
				 errhint("Options are librdkafka consumer properties, see CONFIGURATION.md of librdkafka.")));
	}
}

static bool
option_given(const SwKafkaOptions *opts, const char *key)
{
	for (int i = 0; i < opts->count; i++)
		if (strcmp(opts->keys[i], key) == 0)
			return true;
	return false;
}

/* Our defaults first, then the user's properties, which win. */
static rd_kafka_conf_t *
build_conf(const char *brokers, const SwKafkaOptions *opts, const char *group_id)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	conf_set(conf, "bootstrap.servers", brokers, opts);
	conf_set(conf, "group.id", group_id, opts);
	conf_set(conf, "enable.auto.commit", "false", opts);
	conf_set(conf, "enable.auto.offset.store", "false", opts);
	conf_set(conf, "auto.offset.reset", "error", opts);
	conf_set(conf, "enable.partition.eof", "false", opts);
	conf_set(conf, "log.queue", "true", opts);
	if (!option_given(opts, "fetch.wait.max.ms"))
		conf_set(conf, "fetch.wait.max.ms", "25", opts);
	/*
	 * librdkafka stops fetching once this many messages wait in its queues,
	 * counted over all partitions (100,000 by default): far too few to keep
	 * a worker busy over many partitions.  Memory stays bounded by
	 * queued.max.messages.kbytes.
	 */
	if (!option_given(opts, "queued.min.messages"))
		conf_set(conf, "queued.min.messages", "1000000", opts);
	if (!option_given(opts, "reconnect.backoff.max.ms"))
		conf_set(conf, "reconnect.backoff.max.ms", "1000", opts);
	for (int i = 0; i < opts->count; i++)
	{
		if (strcmp(opts->keys[i], "enable.auto.commit") == 0 ||
			strcmp(opts->keys[i], "auto.offset.reset") == 0 ||
			strcmp(opts->keys[i], "log.queue") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Kafka option \"%s\" cannot be set", opts->keys[i]),
					 errdetail("stream_windows keeps offsets in PostgreSQL and manages this property itself."),
					 errhint("Remove \"%s\" from options.", opts->keys[i])));
		conf_set(conf, opts->keys[i], opts->values[i], opts);
	}
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	return conf;
}

void
kafka_check_options(const char *brokers, const SwKafkaOptions *opts)
{
	rd_kafka_conf_destroy(build_conf(brokers, opts, "stream_windows"));
	log_flush(opts);
}

SwKafka *
kafka_open(const char *brokers, const char *topic, const SwKafkaOptions *opts,
		   const char *group_id)
{
	SwKafka    *k = palloc0(sizeof(SwKafka));
	rd_kafka_conf_t *conf = build_conf(brokers, opts, group_id);
	char		errstr[512];

	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	log_flush(opts);
	if (k->rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not create Kafka consumer: %s",
						kafka_scrub_secrets(errstr, opts))));
	}
	serving = k;
	k->opts = opts;
	k->topic = pstrdup(topic);
	k->main_queue = rd_kafka_queue_get_main(k->rk);
	rd_kafka_set_log_queue(k->rk, NULL);
	k->consumer_queue = rd_kafka_queue_get_consumer(k->rk);
	if (pipe(k->pipefd) != 0 ||
		fcntl(k->pipefd[0], F_SETFL, O_NONBLOCK) != 0 ||
		fcntl(k->pipefd[1], F_SETFL, O_NONBLOCK) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create pipe: %m")));
	rd_kafka_queue_io_event_enable(k->consumer_queue, k->pipefd[1], "1", 1);
	rd_kafka_queue_io_event_enable(k->main_queue, k->pipefd[1], "1", 1);
	return k;
}

void
kafka_close(SwKafka *k)
{
	rd_kafka_queue_io_event_enable(k->consumer_queue, -1, NULL, 0);
	rd_kafka_queue_io_event_enable(k->main_queue, -1, NULL, 0);
	rd_kafka_queue_destroy(k->consumer_queue);
	rd_kafka_queue_destroy(k->main_queue);
	rd_kafka_consumer_close(k->rk);
	rd_kafka_destroy(k->rk);
	close(k->pipefd[0]);
	close(k->pipefd[1]);
	if (serving == k)
		serving = NULL;
}

static bool
fail(char **error, const char *what, rd_kafka_resp_err_t err)
{
	*error = psprintf("%s: %s", what, rd_kafka_err2str(err));
	return false;
}

bool
kafka_partition_count(SwKafka *k, int timeout_ms, int *count, char **error)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(k->rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return fail(error, "could not read topic metadata", err);
	if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
		md->topics[0].partition_cnt == 0)
	{
		err = md->topic_cnt == 1 ? md->topics[0].err :
			RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		rd_kafka_metadata_destroy(md);
		*error = psprintf("topic \"%s\" is not available: %s", k->topic,
						  rd_kafka_err2str(err));
		return false;
	}
	*count = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return true;
}

bool
kafka_query_watermarks(SwKafka *k, int partition, int timeout_ms,
					   int64 *low, int64 *high, char **error)
{
	int64_t		lo,
				hi;
	rd_kafka_resp_err_t err;

	err = rd_kafka_query_watermark_offsets(k->rk, k->topic, partition,
										   &lo, &hi, timeout_ms);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return fail(error, "could not query watermarks", err);
	*low = lo;
	*high = hi;
	return true;
}

bool
kafka_offset_for_time(SwKafka *k, int partition, int64 epoch_ms,
					  int timeout_ms, int64 *offset, char **error)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(list, k->topic, partition)->offset = epoch_ms;
	err = rd_kafka_offsets_for_times(k->rk, list, timeout_ms);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		err = list->elems[0].err;
	*offset = list->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(list);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return fail(error, "could not look up offsets by time", err);
	return true;
}

int64
kafka_cached_high_watermark(SwKafka *k, int partition)
{
	int64_t		lo,
				hi;

	if (rd_kafka_get_watermark_offsets(k->rk, k->topic, partition, &lo, &hi) !=
		RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
		return -1;
	return hi;
}

void
kafka_assign(SwKafka *k, int npartitions, const int64 *offsets)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;

	list = rd_kafka_topic_partition_list_new(npartitions);
	for (int p = 0; p < npartitions; p++)
		rd_kafka_topic_partition_list_add(list, k->topic, p)->offset = offsets[p];
	err = rd_kafka_assign(k->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not assign partitions of topic \"%s\": %s",
						k->topic, rd_kafka_err2str(err))));
}

int
kafka_wait_fd(SwKafka *k)
{
	return k->pipefd[0];
}

void
kafka_drain_wait_fd(SwKafka *k)
{
	char		buf[256];

	while (read(k->pipefd[0], buf, sizeof(buf)) > 0)
		;
}

int
kafka_consume(SwKafka *k, rd_kafka_message_t **msgs, int max)
{
	ssize_t		n = rd_kafka_consume_batch_queue(k->consumer_queue, 0, msgs, max);

	return n < 0 ? 0 : (int) n;
}

const char *
kafka_poll_events(SwKafka *k)
{
	serving = k;
	k->has_error = false;
	rd_kafka_poll(k->rk, 0);
	log_flush(k->opts);
	if (!k->has_error)
		return NULL;
	strlcpy(k->last_error, kafka_scrub_secrets(k->last_error, k->opts),
			sizeof(k->last_error));
	return k->last_error;
}
