/*
 * guidebook: compile a book of CommonMark guides into an EPUB 3 book and
 * man(7) pages.  This file alone knows the command line and the exit
 * status: 0 success, 1 bad input, 2 bad usage, 3 out of memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "book.h"
#include "epub.h"
#include "examples.h"
#include "bookindex.h"
#include "pool.h"
#include "roff.h"
#include "xhtml.h"

#ifndef GUIDEBOOK_VERSION
#define GUIDEBOOK_VERSION "unknown"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };


enum {
	OPT_STRICT = 256, OPT_TOC_DEPTH, OPT_STYLESHEET, OPT_ONLY,
	OPT_DEPFILE, OPT_DEPTARGET, OPT_NO_INDEX, OPT_JOBS
};

struct opts {
	const char	*output;
	const char	*to;
	const char	*stylesheet;
	const char	*depfile;
	const char	*deptarget;
	const char	**only;
	size_t		 nonly;
	int		 toc_depth;
	int		 no_index;
	int		 jobs;		/* -j was given */
	int		 toc_depth_set;
};

static void
usage(FILE *f)
{
	fputs(
"usage: guidebook epub [--strict] [--toc-depth N] [--stylesheet FILE]\n"
"                      [--no-index] [-j N] [--depfile FILE [--deptarget T]]\n"
"                      -o OUT.epub INDEX.md\n"
"       guidebook man [--strict] [--no-index] [--only FILE.md]... [-j N]\n"
"                     [--depfile FILE [--deptarget T]] -o OUTDIR INDEX.md\n"
"       guidebook render -t xhtml|man [--strict] [FILE.md]\n"
"       guidebook examples [--strict] [-j N] -o OUTDIR INDEX.md\n"
"       guidebook list [--strict] INDEX.md\n"
"       guidebook --help | --version\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs(
"\n"
"Compile a book of CommonMark guides, listed by INDEX.md, into one\n"
"EPUB 3 file or one man(7) page per guide.\n"
"\n"
"commands:\n"
"  epub       write the whole book as one EPUB 3 file\n"
"  man        write OUTDIR/man7/NAME.7 for the index and every chapter,\n"
"             and a .so page for every alias\n"
"  render     turn one Markdown document (standard input if none)\n"
"             into XHTML or man(7) on standard output\n"
"  examples   write the book's code examples and examples.tsv to OUTDIR\n"
"  list       print the index and its chapter files, one a line, as\n"
"             guidebook reads them (for make(1) and scripts)\n"
"\n"
"options:\n"
"  -o, --output PATH    output file (epub) or directory (man, examples)\n"
"  -t, --to FORMAT      render: xhtml or man\n"
"      --strict         treat warnings as errors (exit status 1)\n"
"      --toc-depth N    heading levels below a chapter in the table of\n"
"                       contents (0 to 5, default 2)\n"
"      --stylesheet F   use F instead of the index's stylesheet\n"
"      --no-index       leave out the back-of-book index\n"
"  -j, --jobs N         parse, and build the pages, on N threads,\n"
"                       default one per processor; the output is the\n"
"                       same for every N\n"
"      --only FILE.md   man: write only the pages of these documents\n"
"      --depfile F      write make(1) dependencies of the output to F\n"
"      --deptarget T    the target named in the depfile (default: -o)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Dates come from SOURCE_DATE_EPOCH when it is set.  See guidebook(1).\n",
	    stdout);
}

/* A usage error: tagged like every diagnostic, then where help is. */
static int
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fputs(PROGNAME ": error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" PROGNAME ": see guidebook --help, or guidebook(1)\n",
	    stderr);
	return EXIT_USAGE;
}

/*
 * An output must not replace an input of the book (a mistyped -o).
 * Returns 0, or -1 after the message (a usage error: exit 2).
 */
static int
refuse_input(const struct book *b, const char *path)
{
	const char	*in;

	if ((in = book_input(b, path)) == NULL)
		return 0;
	fprintf(stderr, PROGNAME ": %s: error: the output would replace %s, "
	    "an input of the book\n", path, in);
	return -1;
}

/* The first option given that cmd does not take, or NULL. */
static const char *
misplaced(const struct opts *o, const char *cmd)
{
	int	 epub = strcmp(cmd, "epub") == 0, man = strcmp(cmd, "man") == 0;

	if (o->nonly && !man)
		return "--only";
	if (o->no_index && !epub && !man)
		return "--no-index";
	if (o->depfile && !epub && !man)
		return "--depfile";
	if (o->jobs && (strcmp(cmd, "render") == 0 ||
	    strcmp(cmd, "list") == 0))
		return "--jobs";
	if (o->toc_depth_set && !epub)
		return "--toc-depth";
	if (o->stylesheet && !epub)
		return "--stylesheet";
	return NULL;
}

static int
get_epoch(time_t *out)
{
	const char	*s = getenv("SOURCE_DATE_EPOCH");
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0') {
		*out = time(NULL);
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 253402300799LL) {
		diag_error(NULL, 0, 0, "SOURCE_DATE_EPOCH is not a number of "
		    "seconds since 1970: '%s'", s);
		return -1;
	}
	*out = (time_t)v;
	return 0;
}

/* Make dependencies: target and every input it was built from. */
static int
write_depfile(const struct opts *o, const char **deps, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*target = o->deptarget ? o->deptarget : o->output;
	size_t		 i;
	int		 rc;

	buf_printf(&b, "%s:", target);
	for (i = 0; i < n; i++)
		buf_printf(&b, " \\\n  %s", deps[i]);
	buf_putc(&b, '\n');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s:\n", deps[i]);
	rc = file_write_atomic(o->depfile, b.ptr, b.len);
	buf_free(&b);
	return rc;
}

static int
cmd_epub(struct book *b, const struct opts *o)
{
	struct epub_opts	 eo;
	const char		**deps;
	char			*data;
	size_t			 len, n = 0, i;
	int			 rc;

	if (o->stylesheet != NULL) {
		free(b->stylesheet);
		b->stylesheet = xstrdup(o->stylesheet);
	}
	if (refuse_input(b, o->output) == -1 || (o->depfile != NULL &&
	    refuse_input(b, o->depfile) == -1))
		return RC_USAGE;
	memset(&eo, 0, sizeof(eo));
	eo.toc_depth = o->toc_depth;
	if (epub_build(b, &eo, &data, &len) == -1)
		return -1;
	/* Nothing is written when anything was reported (--strict). */
	rc = diag_errors ? -1 : file_write_atomic(o->output, data, len);
	free(data);
	if (rc == 0 && o->depfile != NULL) {
		deps = xcalloc(b->nchapters + 3, sizeof(*deps));
		deps[n++] = b->summary.path;
		for (i = 0; i < b->nchapters; i++)
			deps[n++] = b->chapters[i].path;
		if (b->stylesheet != NULL)
			deps[n++] = b->stylesheet;
		if (b->cover != NULL)
			deps[n++] = b->cover;
		rc = write_depfile(o, deps, n);
		free(deps);
	}
	return rc;
}

/* Is d one of the documents named by --only (or is there no --only)? */
static int
selected(const struct opts *o, const struct doc *d)
{
	char	*a, *b;
	size_t	 i;
	int	 hit = 0;

	if (o->nonly == 0)
		return 1;
	a = realpath(d->path, NULL);
	for (i = 0; i < o->nonly && !hit; i++) {
		b = realpath(o->only[i], NULL);
		hit = a != NULL && b != NULL && strcmp(a, b) == 0;
		free(b);
	}
	free(a);
	return hit;
}

/* A man page to write: its path and text. */
struct page {
	char		*path;
	struct buf	 text;
	const struct doc *doc;		/* to render into text, or NULL */
};

static void
page_add(struct page **pages, size_t *n, const char *dir, const char *name)
{
	*pages = xreallocarray(*pages, *n + 1, sizeof(**pages));
	(*pages)[*n].path = xasprintf("%s/%s.7", dir, name);
	memset(&(*pages)[*n].text, 0, sizeof((*pages)[*n].text));
	(*pages)[*n].doc = NULL;
	++*n;
}

/* The pages of d: its own (rendered later) and one .so page per alias. */
static void
man_doc(const struct doc *d, const char *dir, struct page **pages,
    size_t *n)
{
	size_t	 i;

	page_add(pages, n, dir, d->man);
	(*pages)[*n - 1].doc = d;
	for (i = 0; i < d->naliases; i++) {
		page_add(pages, n, dir, d->aliases[i]);
		roff_alias(d, &(*pages)[*n - 1].text);
	}
}

struct man_jobs {
	const struct book	*b;
	struct page		*pages;
};

/* Pool job: render page k if it is a document's own page. */
static void
man_job(void *arg, size_t k)
{
	struct man_jobs	*mj = arg;
	struct page	*p = &mj->pages[k];

	if (p->doc != NULL)
		roff_page(mj->b, p->doc, &p->text);
}

/* Render the documents' pages on the pool, the longest first. */
static void
man_render(const struct book *b, struct page *pages, size_t n)
{
	struct man_jobs	 mj = { b, pages };
	size_t		*weight, *order, k;

	weight = xcalloc(n ? n : 1, sizeof(*weight));
	for (k = 0; k < n; k++)
		weight[k] = pages[k].doc != NULL ? pages[k].doc->len : 0;
	order = pool_order(weight, n);
	pool_run(n, order, man_job, &mj);
	free(order);
	free(weight);
}

/* The chapter index of d, or nchapters for the index document. */
static size_t
doc_slot(const struct book *b, const struct doc *d)
{
	return d == &b->summary ? b->nchapters :
	    (size_t)(d - b->chapters);
}

/* Is every --only file a document of the book?  0 or RC_USAGE. */
static int
check_only(const struct book *b, const struct opts *o)
{
	size_t	 i, k;
	char	*a, *want;
	int	 found;

	for (k = 0; k < o->nonly; k++) {
		want = realpath(o->only[k], NULL);
		for (i = 0, found = 0; want && !found && i <= b->nchapters;
		    i++) {
			a = realpath(i == 0 ? b->summary.path :
			    b->chapters[i - 1].path, NULL);
			found = a != NULL && strcmp(a, want) == 0;
			free(a);
		}
		free(want);
		if (!found) {
			usage_error("--only %s: not a document of this book",
			    o->only[k]);
			return RC_USAGE;
		}
	}
	return 0;
}

/*
 * Every page is rendered before any is written: a book with problems
 * (--strict) or an output that would replace an input writes nothing.
 */
static int
cmd_man(struct book *b, const struct opts *o)
{
	struct page	 *pages = NULL;
	const char	**paths;
	char		 *dir, *used;
	size_t		  i, j, m = 0, n = 0;
	int		  rc = 0;

	if (check_only(b, o) == RC_USAGE)
		return RC_USAGE;
	dir = xasprintf("%s/man7", o->output);
	/* used[k]: the pages written were made from document k. */
	used = xcalloc(b->nchapters + 1, 1);
	for (i = 0; i <= b->nchapters; i++) {
		const struct doc *d = i == 0 ? &b->summary : &b->chapters[i - 1];

		if (!selected(o, d))
			continue;
		man_doc(d, dir, &pages, &n);
		used[doc_slot(b, d)] = 1;
		used[b->nchapters] = 1;		/* metadata */
		for (j = 0; j < d->nsee_also; j++)
			used[doc_slot(b, d->see_also[j])] = 1;
		if (i == 0)
			memset(used, 1, b->nchapters + 1);
	}
	man_render(b, pages, n);
	for (i = 0; i < n && rc == 0; i++)
		if (refuse_input(b, pages[i].path) == -1)
			rc = RC_USAGE;
	if (rc == 0 && o->depfile != NULL && refuse_input(b, o->depfile) == -1)
		rc = RC_USAGE;
	if (rc == 0 && (diag_errors || mkdir_p(dir) == -1))
		rc = -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = file_write_atomic(pages[i].path, pages[i].text.ptr,
		    pages[i].text.len);
	if (rc == 0 && o->depfile != NULL) {
		paths = xcalloc(b->nchapters + 1, sizeof(*paths));
		paths[m++] = b->summary.path;
		for (j = 0; j < b->nchapters; j++)
			if (used[j])
				paths[m++] = b->chapters[j].path;
		rc = write_depfile(o, paths, m);
		free(paths);
	}
	for (i = 0; i < n; i++) {
		free(pages[i].path);
		buf_free(&pages[i].text);
	}
	free(pages);
	free(used);
	free(dir);
	return rc;
}

/* The index and the chapters, one path a line, as they were opened. */
static int
cmd_list(const struct book *b)
{
	size_t	 i;

	puts(b->summary.path);
	for (i = 0; i < b->nchapters; i++)
		puts(b->chapters[i].path);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		diag_error("<stdout>", 0, 0, "cannot write: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_render(struct book *b, const struct opts *o)
{
	struct buf	 out = { NULL, 0, 0 };
	xmlDocPtr	 doc;
	int		 rc = 0;

	if (strcmp(o->to, "xhtml") == 0) {
		doc = xhtml_document(b, &b->summary, NULL, 0, NULL, NULL);
		xhtml_serialize(doc, 0, &out);
		xmlFreeDoc(doc);
	} else
		roff_page(b, &b->summary, &out);
	if (fwrite(out.ptr, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		diag_error("<stdout>", 0, 0, "cannot write: %s",
		    strerror(errno));
		rc = -1;
	}
	buf_free(&out);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "output",	required_argument, NULL, 'o' },
		{ "to",		required_argument, NULL, 't' },
		{ "strict",	no_argument,	   NULL, OPT_STRICT },
		{ "toc-depth",	required_argument, NULL, OPT_TOC_DEPTH },
		{ "stylesheet",	required_argument, NULL, OPT_STYLESHEET },
		{ "only",	required_argument, NULL, OPT_ONLY },
		{ "depfile",	required_argument, NULL, OPT_DEPFILE },
		{ "deptarget",	required_argument, NULL, OPT_DEPTARGET },
		{ "no-index",	no_argument,	   NULL, OPT_NO_INDEX },
		{ "jobs",	required_argument, NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct opts	 o;
	struct book	 b;
	struct bookindex ix;
	struct book_walk walk = { NULL, NULL };
	const char	*cmd;
	char		*end;
	time_t		 epoch;
	long		 v;
	const char	*bad;
	int		 c, rc;

	signal(SIGXFSZ, SIG_IGN);	/* a full "disk" is an error, not death */
	memset(&o, 0, sizeof(o));
	o.toc_depth = 2;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		help();
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-V") == 0)) {
		puts("guidebook " GUIDEBOOK_VERSION);
		return 0;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[1][0] == '-')
		return usage_error("unknown option '%s' (a command comes "
		    "first)", argv[1]);
	cmd = argv[1];
	if (strcmp(cmd, "epub") != 0 && strcmp(cmd, "man") != 0 &&
	    strcmp(cmd, "render") != 0 && strcmp(cmd, "examples") != 0 &&
	    strcmp(cmd, "list") != 0) {
		return usage_error("unknown command '%s'", cmd);
	}
	argc--;
	argv++;
	argv[0] = (char *)PROGNAME;	/* getopt's messages name us */
	opterr = 0;		/* our messages, in our format */
	while ((c = getopt_long(argc, argv, ":hj:o:t:V", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 't':
			o.to = optarg;
			break;
		case OPT_STRICT:
			diag_strict = 1;
			break;
		case OPT_TOC_DEPTH:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || v < 0 || v > 5) {
				return usage_error("--toc-depth: expected 0 "
				    "to 5, not '%s'", optarg);
			}
			o.toc_depth = (int)v;
			o.toc_depth_set = 1;
			break;
		case OPT_STYLESHEET:
			o.stylesheet = optarg;
			break;
		case OPT_ONLY:
			o.only = xreallocarray(o.only, o.nonly + 1,
			    sizeof(*o.only));
			o.only[o.nonly++] = optarg;
			break;
		case OPT_DEPFILE:
			o.depfile = optarg;
			break;
		case OPT_DEPTARGET:
			o.deptarget = optarg;
			break;
		case 'j':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || v < 1 || v > POOL_MAX) {
				return usage_error("--jobs: expected 1 to %d, "
				    "not '%s'", POOL_MAX, optarg);
			}
			pool_jobs = (unsigned)v;
			o.jobs = 1;
			break;
		case OPT_NO_INDEX:
			o.no_index = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			puts("guidebook " GUIDEBOOK_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;

	if (strcmp(cmd, "render") == 0) {
		if (o.to == NULL || (strcmp(o.to, "xhtml") != 0 &&
		    strcmp(o.to, "man") != 0) || argc > 1 || o.output) {
			return usage_error("render needs -t xhtml or -t man "
			    "and at most one file");
		}
	} else if (strcmp(cmd, "list") == 0) {
		if (argc != 1 || o.output != NULL || o.to != NULL)
			return usage_error("list needs one index file and no "
			    "-o");
	} else if (argc != 1 || o.output == NULL || o.to != NULL) {
		return usage_error("%s needs -o and one index file", cmd);
	}
	if ((bad = misplaced(&o, cmd)) != NULL)
		return usage_error("%s is not an option of '%s'", bad, cmd);
	if (o.deptarget && !o.depfile)
		return usage_error("--deptarget needs --depfile");

	/*
	 * Every date guidebook writes is UTC.  libzip, compressing pages
	 * on the pool's threads, converts zip times with mktime(3), which
	 * with TZ unset frees and reloads glibc's zone on every call (under
	 * a lock of glibc's that ThreadSanitizer cannot see) and reads
	 * /etc/localtime; a fixed TZ makes those calls read-only.
	 */
	if (setenv("TZ", "UTC0", 1) == -1)
		oom();
	tzset();
	xmlInitParser();
	xhtml_quiet();
	if (get_epoch(&epoch) == -1)
		return EXIT_INPUT;

	memset(&ix, 0, sizeof(ix));
	if (!o.no_index && (strcmp(cmd, "epub") == 0 ||
	    strcmp(cmd, "man") == 0)) {
		walk.chapter = bookindex_chapter;
		walk.ctx = bookindex_start();
	}
	if (strcmp(cmd, "render") == 0)
		rc = book_load_single(&b, argc ? argv[0] : NULL, epoch);
	else
		rc = book_load(&b, argv[0], epoch, strcmp(cmd, "man") == 0 ?
		    BOOK_MAN : 0, walk.ctx != NULL ? &walk : NULL);
	if (walk.ctx != NULL) {
		bookindex_finish(walk.ctx, &ix);
		if (rc == 0)
			b.bookindex = &ix;
	}
	if (rc == 0) {
		if (strcmp(cmd, "epub") == 0)
			rc = cmd_epub(&b, &o);
		else if (strcmp(cmd, "man") == 0)
			rc = cmd_man(&b, &o);
		else if (strcmp(cmd, "render") == 0)
			rc = cmd_render(&b, &o);
		else if (strcmp(cmd, "list") == 0)
			rc = cmd_list(&b);
		else
			rc = examples_write(&b, o.output);
	}
	book_free(&b);
	bookindex_free(&ix);
	free(o.only);
	xmlCleanupParser();
	if (rc == RC_USAGE)
		return EXIT_USAGE;
	return rc == 0 && diag_errors == 0 ? 0 : EXIT_INPUT;
}
