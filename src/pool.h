/*
 * Independent jobs run on a few threads.  Output never depends on how
 * many: each job writes only its own results, and its diagnostics are
 * printed in job order once all are done.
 */
#ifndef GUIDEBOOK_POOL_H
#define GUIDEBOOK_POOL_H

#include <stddef.h>

/* Threads to use, the caller's included; 0: one per online processor. */
extern unsigned	pool_jobs;

/* Largest useful --jobs: more threads than this only wait on each other. */
#define POOL_MAX	64

/*
 * Call fn(arg, k) once for every k in 0..n-1 and return when all have
 * returned.  order, when not NULL, is a permutation of 0..n-1 saying
 * which jobs to start first (the longest, so that no thread is left
 * with a long one at the end).  fn must not touch what another job
 * touches, save to read it.
 */
void	pool_run(size_t n, const size_t *order,
	    void (*fn)(void *arg, size_t k), void *arg);

/*
 * The order to start n jobs in, heaviest first (weight[k] is about the
 * work of job k; equal weights keep their order).  Main thread only.
 * Caller frees.
 */
size_t	*pool_order(const size_t *weight, size_t n);

#endif
