/*-------------------------------------------------------------------------
 *
 * kafka.h
 *	  The one place that talks to librdkafka.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_KAFKA_H
#define SW_KAFKA_H

#include <librdkafka/rdkafka.h>

typedef struct SwKafka SwKafka;

/* librdkafka properties, as given in a source's options */
typedef struct SwKafkaOptions
{
	int			count;
	char	  **keys;
	char	  **values;
} SwKafkaOptions;

/* ERROR (invalid_parameter_value) on a property librdkafka rejects */
extern void kafka_check_options(const char *brokers, const SwKafkaOptions *opts);

extern SwKafka *kafka_open(const char *brokers, const char *topic,
						   const SwKafkaOptions *opts, const char *group_id);
extern void kafka_close(SwKafka *k);

/* Blocking broker queries; false with *error set when they fail. */
extern bool kafka_partition_count(SwKafka *k, int timeout_ms, int *count,
								  char **error);
extern bool kafka_query_watermarks(SwKafka *k, int partition, int timeout_ms,
								   int64 *low, int64 *high, char **error);
extern bool kafka_offset_for_time(SwKafka *k, int partition, int64 epoch_ms,
								  int timeout_ms, int64 *offset, char **error);

/* The last high watermark librdkafka saw for a partition, -1 if none. */
extern int64 kafka_cached_high_watermark(SwKafka *k, int partition);

/* Consume the given partitions from the given offsets (replaces any earlier assignment). */
extern void kafka_assign(SwKafka *k, int npartitions, const int64 *offsets);

/* A file descriptor that becomes readable when messages or events arrive. */
extern int	kafka_wait_fd(SwKafka *k);
extern void kafka_drain_wait_fd(SwKafka *k);

/* Up to max messages already fetched; never waits. */
extern int	kafka_consume(SwKafka *k, rd_kafka_message_t **msgs, int max);

/*
 * Serve librdkafka's logs and error events on this thread.  Returns the
 * newest client-level error since the last call (e.g. all brokers down),
 * or NULL.
 */
extern const char *kafka_poll_events(SwKafka *k);

#endif							/* SW_KAFKA_H */
