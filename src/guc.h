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

extern void sw_guc_init(void);

#endif							/* SW_GUC_H */
