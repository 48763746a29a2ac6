/*-------------------------------------------------------------------------
 *
 * kafka_options.h
 *	  Which librdkafka properties a role may set, and which it may see.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_KAFKA_OPTIONS_H
#define SW_KAFKA_OPTIONS_H

#include "kafka.h"

/*
 * ERROR (42501) unless is_superuser, when opts has a property that loads
 * code, runs a program or names a file on the server.  Called before
 * librdkafka sees any property.
 */
extern void kafka_refuse_unsafe_options(const SwKafkaOptions *opts, bool is_superuser);

/* Is the property on the allowlist of properties known not to be secret? */
extern bool kafka_option_is_public(const char *key);

/* text with the value of every non-public property of opts replaced by ******** */
extern char *kafka_scrub_secrets(const char *text, const SwKafkaOptions *opts);

#endif							/* SW_KAFKA_OPTIONS_H */
