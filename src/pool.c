/*
 * The thread pool: the caller and up to pool_jobs - 1 threads take jobs
 * in turn from a shared counter.  A thread that cannot be started is no
 * error: the others, or the caller alone, do its share.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"
#include "util.h"

unsigned	pool_jobs;

struct pool {
	pthread_mutex_t		 mu;
	size_t			 next;		/* next place in order */
	size_t			 n;
	const size_t		*order;
	void			(*fn)(void *, size_t);
	void			*arg;
	struct diag_capture	*cap;		/* one per job */
};

static unsigned
pool_threads(size_t n)
{
	long	 cpus;
	size_t	 t;

	t = pool_jobs;
	if (t == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		t = cpus < 1 ? 1 : cpus > POOL_MAX ? POOL_MAX : (size_t)cpus;
	}
	return (unsigned)(t < n ? t : n);
}

static void *
pool_worker(void *v)
{
	struct pool	*p = v;
	size_t		 i, k;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i == p->n)
			return NULL;
		k = p->order != NULL ? p->order[i] : i;
		diag_capture_begin(&p->cap[k]);
		p->fn(p->arg, k);
		diag_capture_end();
	}
}

void
pool_run(size_t n, const size_t *order, void (*fn)(void *, size_t),
    void *arg)
{
	struct pool	 p;
	pthread_t	*th;
	size_t		 i, started = 0;
	unsigned	 t;

	if (n == 0)
		return;
	p.next = 0;
	p.n = n;
	p.order = order;
	p.fn = fn;
	p.arg = arg;
	p.cap = xcalloc(n, sizeof(*p.cap));
	pthread_mutex_init(&p.mu, NULL);
	t = pool_threads(n);
	th = xcalloc(t, sizeof(*th));
	for (i = 1; i < t; i++)
		if (pthread_create(&th[started], NULL, pool_worker, &p) == 0)
			started++;
	pool_worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	for (i = 0; i < n; i++)
		diag_capture_flush(&p.cap[i]);
	free(p.cap);
	free(th);
}

static const size_t *sort_weight;

static int
by_weight(const void *a, const void *b)
{
	size_t	 i = *(const size_t *)a, j = *(const size_t *)b;

	if (sort_weight[i] != sort_weight[j])
		return sort_weight[i] > sort_weight[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

size_t *
pool_order(const size_t *weight, size_t n)
{
	size_t	*order;
	size_t	 k;

	order = xcalloc(n, sizeof(*order));
	for (k = 0; k < n; k++)
		order[k] = k;
	sort_weight = weight;
	qsort(order, n, sizeof(*order), by_weight);
	sort_weight = NULL;
	return order;
}
