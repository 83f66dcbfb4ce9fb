/*
 * mlfi.h -- the libmilter callbacks
 *
 * DESCRIPTION
 *	Thin adapters: each callback reads what libmilter hands it, feeds the
 *	recogniser (policy/confirm.c), and at end of message asks the engine
 *	for a verdict and maps it onto the milter reply. Ordinary mail is let
 *	go at the first callback that shows it is no confirmation.
 */
#ifndef SUBGATE_MLFI_H
#define SUBGATE_MLFI_H

#include <libmilter/mfapi.h>

#include "conf.h"
#include "engine.h"
#include "ledger.h"
#include "spf.h"

/* What the callbacks need; set once before smfi_main(). */
struct mlfi_setup {
	const struct conf *conf;
	struct engine *engine;
	int have_log;          /* a subscribe_log is being tailed */
	struct ledger *ledger; /* where held confirmations are recorded */
	struct spf *spf;       /* SPF of requests by mail; NULL: not checked */
};

/* mlfi_init - remember <s> (borrowed for the process's life). */
void mlfi_init(const struct mlfi_setup *s);

/* mlfi_desc - the filter description for smfi_register(). */
struct smfiDesc *mlfi_desc(void);

#endif
