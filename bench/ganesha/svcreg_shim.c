/*
 * LD_PRELOAD shim that lets nfs-ganesha start without an rpcbind daemon: ganesha exits when it
 * cannot register its programs with rpcbind. svc_reg() with a NULL netconfig registers the
 * dispatcher with ntirpc only (no rpcbind call); rpcb_unset() becomes a no-op.
 *
 * Build: gcc -O2 -Wall -shared -fPIC -o svcreg_shim.so svcreg_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* ntirpc: bool svc_reg(SVCXPRT *, rpcprog_t, rpcvers_t, dispatch fn, const struct netconfig *) */
typedef bool (*svc_reg_fn)(void *xprt, unsigned long prog, unsigned long vers, void *dispatch,
			   const void *netconfig);

bool svc_reg(void *xprt, unsigned long prog, unsigned long vers, void *dispatch, const void *netconfig)
{
	static svc_reg_fn real;
	(void)netconfig;
	if (!real)
		real = (svc_reg_fn)dlsym(RTLD_NEXT, "svc_reg");
	if (!real) {
		fprintf(stderr, "svcreg_shim: svc_reg not found: %s\n", dlerror());
		abort();
	}
	return real(xprt, prog, vers, dispatch, NULL);
}

bool rpcb_unset(unsigned long prog, unsigned long vers, const void *netconfig)
{
	(void)prog;
	(void)vers;
	(void)netconfig;
	return true;
}
