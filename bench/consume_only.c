/*
 * consume_only.c — the librdkafka ceiling of bench/ingest.sh.
 *
 * Reads N messages of TOPIC from the start of every partition, with the
 * same consumer settings as a stream_windows source worker (explicit
 * assignment, no group commits, fetch.wait.max.ms=100), touching every
 * payload but doing nothing else with it, and prints one line:
 *
 *   consumed N bytes B total_s T first_s F p10_s A p90_s B
 *
 * T is from rd_kafka_new() to the N-th message; F, A and B are the times
 * (same origin) of the first message and of the message that crossed 10%
 * and 90% of N, so that the steady rate is 0.8 N / (B - A).
 *
 *   cc -O2 -o consume_only consume_only.c -lrdkafka
 *   consume_only -b BOOTSTRAP -t TOPIC -n N [-B BATCH] [-X key=value]...
 *
 * Built and run by bench/ingest.sh; not part of the tests.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char		err[512];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "consume_only: %s=%s: %s\n", k, v, err);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	const char *bootstrap = NULL;
	const char *topic = NULL;
	int64_t		n = -1;
	int			batch = 10000;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_message_t **msgs;
	char		err[512];
	int64_t		got = 0,
				bytes = 0;
	unsigned	touch = 0;
	double		t0,
				first = -1,
				p10 = -1,
				p90 = -1,
				deadline;
	int			c;

	set(conf, "group.id", "consume_only");
	set(conf, "enable.auto.commit", "false");
	set(conf, "enable.auto.offset.store", "false");
	set(conf, "enable.partition.eof", "false");
	set(conf, "fetch.wait.max.ms", "100");
	while ((c = getopt(argc, argv, "b:t:n:B:X:")) != -1)
	{
		switch (c)
		{
			case 'b':
				bootstrap = optarg;
				break;
			case 't':
				topic = optarg;
				break;
			case 'n':
				n = strtoll(optarg, NULL, 10);
				break;
			case 'B':
				batch = atoi(optarg);
				break;
			case 'X':
				{
					char	   *eq = strchr(optarg, '=');

					if (eq == NULL)
					{
						fprintf(stderr, "consume_only: -X needs key=value\n");
						return 2;
					}
					*eq = '\0';
					set(conf, optarg, eq + 1);
				}
				break;
			default:
				return 2;
		}
	}
	if (bootstrap == NULL || topic == NULL || n <= 0 || batch <= 0)
	{
		fprintf(stderr, "usage: consume_only -b BOOTSTRAP -t TOPIC -n N [-B BATCH] [-X k=v]...\n");
		return 2;
	}
	set(conf, "bootstrap.servers", bootstrap);

	t0 = now_s();
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (rk == NULL)
	{
		fprintf(stderr, "consume_only: %s\n", err);
		return 1;
	}
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		md->topic_cnt != 1 || md->topics[0].partition_cnt == 0)
	{
		fprintf(stderr, "consume_only: no metadata for topic %s\n", topic);
		return 1;
	}
	list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int p = 0; p < md->topics[0].partition_cnt; p++)
		rd_kafka_topic_partition_list_add(list, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	if (rd_kafka_assign(rk, list) != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		fprintf(stderr, "consume_only: assign failed\n");
		return 1;
	}
	rd_kafka_topic_partition_list_destroy(list);
	q = rd_kafka_queue_get_consumer(rk);
	msgs = malloc(sizeof(*msgs) * batch);
	deadline = t0 + 300;

	while (got < n && now_s() < deadline)
	{
		int64_t		want = n - got < batch ? n - got : batch;
		ssize_t		k = rd_kafka_consume_batch_queue(q, 100, msgs, (size_t) want);

		for (ssize_t i = 0; i < k; i++)
		{
			rd_kafka_message_t *m = msgs[i];

			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
			{
				got++;
				bytes += m->len;
				if (m->len > 0)
					touch += ((unsigned char *) m->payload)[m->len - 1];
			}
			else
				fprintf(stderr, "consume_only: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		if (k > 0)
		{
			double		t = now_s() - t0;

			if (first < 0)
				first = t;
			if (p10 < 0 && got >= n / 10)
				p10 = t;
			if (p90 < 0 && got >= n - n / 10)
				p90 = t;
		}
	}
	printf("consumed %" PRId64 " bytes %" PRId64 " total_s %.4f first_s %.4f p10_s %.4f p90_s %.4f touch %u\n",
		   got, bytes, now_s() - t0, first, p10, p90, touch);
	rd_kafka_queue_destroy(q);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free(msgs);
	return got == n ? 0 : 1;
}
