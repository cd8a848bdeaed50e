/*
 * Example extraction.  The info string of a fenced block says what it
 * is: "python", "python requires=3.14", "python fragment", "pycon",
 * and "output" for the expected standard output of the python block
 * just before it.  Other languages are not examples.
 *
 * examples.tsv has one line per example, tab-separated:
 *	guide  line  kind  requires  code-file  expected-file
 * kind is python, pycon or fragment; requires is X.Y or "-";
 * expected-file is "-" when no output block follows.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"

struct ex {
	const char	*kind;
	char		 requires[16];
};

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

/* The first word of an info string, as a length. */
static size_t
word_len(const char *s)
{
	return strcspn(s, " \t");
}

static int
is_lang(const char *info, const char *lang)
{
	size_t	 n = word_len(info);

	return n == strlen(lang) && strncmp(info, lang, n) == 0;
}

/* Valid "X.Y" with digits only. */
static int
check_version(const char *s, size_t n)
{
	size_t	 i, dots = 0, digits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (digits == 0)
				return -1;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)s[i]))
			digits++;
		else
			return -1;
	}
	return dots == 1 && digits > 0 ? 0 : -1;
}

/* Parse the attributes after python/pycon.  0, or -1 after an error. */
static int
parse_attrs(const struct doc *d, cmark_node *n, const char *info,
    struct ex *ex)
{
	const char	*s = info + word_len(info);
	size_t		 len;
	int		 rc = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		len = word_len(s);
		if (len == 8 && strncmp(s, "fragment", 8) == 0)
			ex->kind = "fragment";
		else if (len > 9 && strncmp(s, "requires=", 9) == 0 &&
		    len - 9 < sizeof(ex->requires) &&
		    check_version(s + 9, len - 9) == 0) {
			memcpy(ex->requires, s + 9, len - 9);
			ex->requires[len - 9] = '\0';
		} else {
			diag_error(d->path, cmark_node_get_start_line(n),
			    cmark_node_get_start_column(n) + 3 +
			    (int)(s - info), "unknown code block attribute "
			    "'%.*s' (expected fragment or requires=X.Y)",
			    (int)len, s);
			rc = -1;
		}
		s += len;
	}
	return rc;
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

static int
is_code(cmark_node *n)
{
	return n != NULL && cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK;
}

static const char *
info_of(cmark_node *n)
{
	const char	*info = cmark_node_get_fence_info(n);

	return info ? info : "";
}

/* The examples of one document; *count numbers the files. */
static int
doc_examples(const struct doc *d, struct out *files, struct buf *tsv,
    size_t *count)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, *next, *prev;
	const char		*info;
	struct ex		 ex;
	char			 code[32], out[32];
	int			 rc = 0;

	if (strpbrk(d->path, "\t\n") != NULL) {
		diag_error(d->path, 0, 0, "file name holds a tab or newline");
		return -1;
	}
	doc_open(d);
	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || !is_code(n))
			continue;
		info = info_of(n);
		if (is_lang(info, "output")) {
			prev = cmark_node_previous(n);
			if (info[word_len(info)] != '\0') {
				diag_error(d->path, cmark_node_get_start_line(n),
				    cmark_node_get_start_column(n),
				    "an output block takes no attributes");
				rc = -1;
			} else if (!is_code(prev) ||
			    !is_lang(info_of(prev), "python"))
				diag_warn(d->path, cmark_node_get_start_line(n),
				    cmark_node_get_start_column(n), "output "
				    "block does not follow a python block");
			continue;
		}
		memset(&ex, 0, sizeof(ex));
		if (is_lang(info, "python"))
			ex.kind = "python";
		else if (is_lang(info, "pycon"))
			ex.kind = "pycon";
		else
			continue;
		if (parse_attrs(d, n, info, &ex) == -1) {
			rc = -1;
			continue;
		}
		++*count;
		snprintf(code, sizeof(code), "%04zu.%s", *count,
		    strcmp(ex.kind, "pycon") == 0 ? "pycon" : "py");
		strcpy(out, "-");
		next = cmark_node_next(n);
		if (strcmp(ex.kind, "pycon") != 0 && is_code(next) &&
		    is_lang(info_of(next), "output")) {
			snprintf(out, sizeof(out), "%04zu.out", *count);
			out_add(files, out, cmark_node_get_literal(next));
		}
		out_add(files, code, cmark_node_get_literal(n));
		buf_printf(tsv, "%s\t%d\t%s\t%s\t%s\t%s\n", d->path,
		    cmark_node_get_start_line(n), ex.kind,
		    ex.requires[0] ? ex.requires : "-", code, out);
	}
	cmark_iter_free(it);
	doc_close(d);
	return rc;
}

int
examples_write(const struct book *b, const char *outdir)
{
	struct buf	 tsv = { NULL, 0, 0 };
	struct out	 files = { NULL, 0 };
	size_t		 count = 0, i;
	int		 rc = 0;

	if (doc_examples(&b->index, &files, &tsv, &count) == -1)
		rc = -1;
	for (i = 0; i < b->nchapters; i++)
		if (doc_examples(&b->chapters[i], &files, &tsv, &count) == -1)
			rc = -1;
	if (rc == 0 && mkdir_p(outdir) == -1)
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
