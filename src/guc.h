/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  The extension's configuration parameters (all of them, in one place).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_GUC_H
#define SW_GUC_H

extern char *sw_database;
extern int	sw_max_workers;
extern int	sw_max_message_bytes;
extern int	sw_batch_size;
extern int	sw_restart_delay_ms;
extern int	sw_expression_timeout_ms;
extern int	sw_max_open_rows;
extern int	sw_max_windows_per_event;
extern int	sw_max_aggregates;

extern void sw_guc_init(void);

#endif							/* SW_GUC_H */
