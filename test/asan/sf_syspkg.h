/*
 * sf_syspkg.h - ASan builds only (compiled in with -DSF_SYS_PKG -include
 * sf_syspkg.h; no .c file includes it): the module's own pkg_malloc,
 * pkg_mallocxz, pkg_realloc, pkg_reallocxf and pkg_free go to libc, where
 * AddressSanitizer puts redzones around every block. A pointer that lies in
 * Kamailio's pkg pool (the core allocated it, e.g. the reply buffer of
 * build_res_buf_from_sip_req()) still goes back to the core's allocator.
 * Memory the module allocates and the core frees would make the core log
 * "BUG: bad pointer ... (out of memory block!)": there is none today.
 */
#ifndef SF_SYSPKG_H
#define SF_SYSPKG_H
#ifdef SF_SYS_PKG

/* included before anything: the feature macro any sfwd .c sets itself */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include "core/mem/pkg.h"

extern unsigned long pkg_mem_size;

static inline int sf_in_pkg_pool(const void *p)
{
	const char *b = _pkg_root.mem_pool;

	return b != NULL && (const char *)p >= b && (const char *)p < b + pkg_mem_size;
}

static inline void sf_sys_pkg_free(void *p, const char *file, const char *func,
		unsigned int line, const char *mod)
{
	if(sf_in_pkg_pool(p))
		_pkg_root.xfree(_pkg_root.mem_block, p, file, func, line, mod);
	else
		free(p);
}

static inline void *sf_sys_pkg_realloc(void *p, size_t size, int free_on_fail,
		const char *file, const char *func, unsigned int line, const char *mod)
{
	void *n;

	if(sf_in_pkg_pool(p))
		return free_on_fail ? _pkg_root.xreallocxf(_pkg_root.mem_block, p, size,
									  file, func, line, mod)
							: _pkg_root.xrealloc(_pkg_root.mem_block, p, size,
									  file, func, line, mod);
	n = realloc(p, size);
	if(n == NULL && free_on_fail)
		free(p);
	return n;
}

#undef pkg_malloc
#undef pkg_mallocxz
#undef pkg_free
#undef pkg_realloc
#undef pkg_reallocxf
#define pkg_malloc(s) malloc(s)
#define pkg_mallocxz(s) calloc(1, (s))
#define pkg_free(p) \
	sf_sys_pkg_free((p), _SRC_LOC_, _SRC_FUNCTION_, _SRC_LINE_, _SRC_MODULE_)
#define pkg_realloc(p, s) \
	sf_sys_pkg_realloc((p), (s), 0, _SRC_LOC_, _SRC_FUNCTION_, _SRC_LINE_, \
			_SRC_MODULE_)
#define pkg_reallocxf(p, s) \
	sf_sys_pkg_realloc((p), (s), 1, _SRC_LOC_, _SRC_FUNCTION_, _SRC_LINE_, \
			_SRC_MODULE_)

#endif /* SF_SYS_PKG */
#endif /* SF_SYSPKG_H */
