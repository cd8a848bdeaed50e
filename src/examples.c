/*
 * Example extraction.  The loader has judged every code block
 * (codeinfo.h); this file writes out the python and pycon blocks the
 * tests run, with the output blocks that follow them.
 *
 * examples.tsv has one line per example and expected output,
 * tab-separated:
 *	guide  line  kind  requires  versions  code-file  expected-file
 * kind is python or pycon; requires is X.Y or "-"; versions is "-" or
 * the versions the line applies to (">=3.14", "<=3.13", ">=3.12,<=3.13");
 * expected-file is "-" when no output block follows.  For each Python
 * version at most one line of an example applies.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"

/* Files to write once every example is known to be good. */
struct outfile {
	char		 name[32];
	char		*text;		/* a copy: the tree is closed by then */
};

struct out {
	struct outfile	*f;
	size_t		 n;
};

static void
out_add(struct out *o, const char *name, const char *text)
{
	o->f = xreallocarray(o->f, o->n + 1, sizeof(*o->f));
	snprintf(o->f[o->n].name, sizeof(o->f[o->n].name), "%s", name);
	o->f[o->n].text = xstrdup(text);
	o->n++;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char	*path;
	int	 rc;

	path = xasprintf("%s/%s", dir, name);
	rc = file_write_atomic(path, text, strlen(text));
	free(path);
	return rc;
}

/* The verdict of n if it is a code block of the given kind. */
static const struct codeinfo *
code_of(cmark_node *n, enum code_kind kind)
{
	const struct codeinfo	*ci = n ? node_code(n) : NULL;

	return ci != NULL && ci->kind == kind ? ci : NULL;
}

/* One line of examples.tsv. */
static void
tsv_line(struct buf *tsv, const struct doc *d, const struct codeinfo *ci,
    const struct vrange *range, const char *code, const char *out)
{
	char	*spec = vrange_spec(range);
	char	 req[16] = "-";

	if (ci->requires > VERSION_MIN)
		snprintf(req, sizeof(req), "%d.%d", ci->requires / 100,
		    ci->requires % 100);
	buf_printf(tsv, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", d->path, ci->line,
	    ci->kind == CODE_PYCON ? "pycon" : "python", req, spec, code, out);
	free(spec);
}

/*
 * A python example and the output blocks right after it: one line for
 * each output block (its versions), or one with no expected output.
 */
static void
python_example(const struct doc *d, cmark_node *n, struct out *files,
    struct buf *tsv, size_t count)
{
	const struct codeinfo	*ci = node_code(n), *oi;
	const struct vrange	 all = { VERSION_MIN, VERSION_MAX };
	cmark_node		*next;
	char			 code[32], out[32];
	size_t			 k = 0;

	snprintf(code, sizeof(code), "%04zu.py", count);
	out_add(files, code, cmark_node_get_literal(n));
	for (next = cmark_node_next(n);
	    (oi = code_of(next, CODE_OUTPUT)) != NULL;
	    next = cmark_node_next(next)) {
		if (k++ == 0)
			snprintf(out, sizeof(out), "%04zu.out", count);
		else
			snprintf(out, sizeof(out), "%04zu-%zu.out", count, k);
		out_add(files, out, cmark_node_get_literal(next));
		tsv_line(tsv, d, ci, &oi->range, code, out);
	}
	if (k == 0)
		tsv_line(tsv, d, ci, &all, code, "-");
}

/* The examples of one document; *count numbers the files. */
static int
doc_examples(const struct doc *d, struct out *files, struct buf *tsv,
    size_t *count)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	const struct codeinfo	*ci;
	char			 code[32];

	if (strpbrk(d->path, "\t\n") != NULL) {
		diag_error(d->path, 0, 0, "file name holds a tab or newline");
		return -1;
	}
	doc_open(d);
	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || (ci = node_code(n)) == NULL ||
		    !ci->example)
			continue;
		++*count;
		if (ci->kind == CODE_PYTHON) {
			python_example(d, n, files, tsv, *count);
			continue;
		}
		snprintf(code, sizeof(code), "%04zu.pycon", *count);
		out_add(files, code, cmark_node_get_literal(n));
		tsv_line(tsv, d, ci, &ci->range, code, "-");
	}
	cmark_iter_free(it);
	doc_close(d);
	return 0;
}

/* RC_USAGE if writing dir/name would replace an input of the book. */
static int
refuse_input(const struct book *b, const char *dir, const char *name)
{
	const char	*in;
	char		*path = xasprintf("%s/%s", dir, name);
	int		 rc = 0;

	if ((in = book_input(b, path)) != NULL) {
		fprintf(stderr, PROGNAME ": %s: error: the output would "
		    "replace %s, an input of the book\n", path, in);
		rc = RC_USAGE;
	}
	free(path);
	return rc;
}

int
examples_write(const struct book *b, const char *outdir)
{
	struct buf	 tsv = { NULL, 0, 0 };
	struct out	 files = { NULL, 0 };
	size_t		 count = 0, i;
	int		 rc = 0;

	if (doc_examples(&b->summary, &files, &tsv, &count) == -1)
		rc = -1;
	for (i = 0; i < b->nchapters; i++)
		if (doc_examples(&b->chapters[i], &files, &tsv, &count) == -1)
			rc = -1;
	for (i = 0; rc == 0 && i < files.n; i++)
		rc = refuse_input(b, outdir, files.f[i].name);
	if (rc == 0)
		rc = refuse_input(b, outdir, "examples.tsv");
	if (rc == 0 && (diag_errors || mkdir_p(outdir) == -1))
		rc = -1;
	for (i = 0; rc == 0 && i < files.n; i++)
		rc = write_file(outdir, files.f[i].name, files.f[i].text);
	/* The manifest last: a runner never sees a half-written set. */
	if (rc == 0)
		rc = write_file(outdir, "examples.tsv", tsv.ptr ? tsv.ptr : "");
	for (i = 0; i < files.n; i++)
		free(files.f[i].text);
	free(files.f);
	buf_free(&tsv);
	return rc;
}
