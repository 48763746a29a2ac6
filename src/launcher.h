/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  The static background worker that starts and stops source workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_LAUNCHER_H
#define SW_LAUNCHER_H

#include "postgres.h"

extern void sw_launcher_register(void);
extern PGDLLEXPORT void sw_launcher_main(Datum main_arg);

#endif							/* SW_LAUNCHER_H */
