/*
 * libFuzzer harness for guidebook.  One binary per path, chosen at
 * compile time with -DFUZZ_xhtml, -DFUZZ_man or -DFUZZ_epub:
 *
 *  xhtml: the input as one Markdown document to XHTML; the result must
 *	   parse as well-formed XML.
 *  man:   the same to man(7); the result must be pure ASCII, and every
 *	   line starting with '.' or '\'' must be a request the renderer
 *	   writes on purpose.
 *  epub:  the input split at lines "%%" into an index and chapters of
 *	   a small book on disk, built to an EPUB in memory; the archive
 *	   must open with mimetype first and stored, and every XML file
 *	   in it must be well-formed.
 *
 * A property that does not hold aborts, so libFuzzer records the input.
 *
 * With -DFUZZ_REPLAY the harness gets a main() that runs each file named
 * on the command line once, without libFuzzer: make check builds it that
 * way with gcc under ASan and UBSan and replays tests/fuzz/regress, so
 * the harness cannot fall behind the code it drives.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <zip.h>

#include "book.h"
#include "epub.h"
#include "bookindex.h"
#include "roff.h"
#include "xhtml.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#if !defined(FUZZ_man)
static void
check_xml(const char *data, size_t len, const char *what)
{
	xmlDocPtr	 doc;

	doc = xmlReadMemory(data, (int)len, what, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		fprintf(stderr, "fuzz: %s is not well-formed XML\n", what);
		abort();
	}
	xmlFreeDoc(doc);
}
#endif

#if defined(FUZZ_man)
/* The requests roff.c and roff_escape.c write, and nothing else. */
static int
known_request(const char *line, size_t len)
{
	static const char *const names[] = { "TH", "SH", "SS", "PP", "IP",
	    "RS", "RE", "EX", "EE", "UR", "UE", "br", "sp", "BR", "TP", "so",
	    "fchar", "nh", "ad", "TS", "TE", NULL };
	static const char *const whole[] = { ".if \\n(.x \\{\\", ".\\}",
	    "'\\\" t", ".nr HY 0", ".ds AD l", NULL };
	size_t	 i, n;

	for (i = 0; whole[i] != NULL; i++)
		if (len == strlen(whole[i]) && memcmp(line, whole[i], len) == 0)
			return 1;
	if (line[0] != '.')
		return 0;
	if (len >= 3 && memcmp(line, ".\\\"", 3) == 0)
		return 1;			/* a comment */
	for (i = 0; whole[i] != NULL; i++)
		if (len == strlen(whole[i]) && memcmp(line, whole[i], len) == 0)
			return 1;
	for (i = 0; names[i] != NULL; i++) {
		n = strlen(names[i]);
		if (len >= n + 1 && memcmp(line + 1, names[i], n) == 0 &&
		    (len == n + 1 || line[n + 1] == ' '))
			return 1;
	}
	return 0;
}

static void
check_man(const struct buf *out)
{
	const char	*line, *eol;
	size_t		 i, len;

	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->ptr[i] > 0x7F) {
			fprintf(stderr, "fuzz: byte above 0x7F at %zu\n", i);
			abort();
		}
	for (line = out->ptr; line < out->ptr + out->len; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(out->ptr + out->len - line));
		if (eol == NULL)
			eol = out->ptr + out->len;
		len = (size_t)(eol - line);
		if (len > 0 && (line[0] == '.' || line[0] == '\'') &&
		    !known_request(line, len)) {
			fprintf(stderr, "fuzz: unintended request: %.*s\n",
			    (int)(len > 60 ? 60 : len), line);
			abort();
		}
	}
}
#endif

#if defined(FUZZ_epub)
static char	*dir;

static void
write_file(const char *name, const char *data, size_t len)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	free(path);
}

/* Index = first part plus a list of the chapters; chapters = the rest. */
static void
write_book(const uint8_t *data, size_t size)
{
	struct buf	 index = { NULL, 0, 0 };
	const char	*s = (const char *)data, *end = s + size, *sep;
	size_t		 n = 0;
	char		 name[32];

	sep = memmem(s, size, "\n%%\n", 4);
	buf_put(&index, s, sep ? (size_t)(sep - s) : size);
	buf_puts(&index, "\n\n## Chapters\n\n");
	while (sep != NULL && n < 8) {
		s = sep + 4;
		sep = memmem(s, (size_t)(end - s), "\n%%\n", 4);
		snprintf(name, sizeof(name), "c%zu.md", n);
		write_file(name, s, sep ? (size_t)(sep - s) : (size_t)(end - s));
		buf_printf(&index, "- [Chapter %zu](%s)\n", n, name);
		n++;
	}
	write_file("README.md", index.ptr, index.len);
	buf_free(&index);
	/* Stale chapters from longer inputs are not listed, so harmless. */
}

static void
check_epub(const char *data, size_t len)
{
	zip_error_t	 err;
	zip_source_t	*src;
	zip_t		*za;
	zip_stat_t	 st;
	zip_file_t	*zf;
	zip_int64_t	 i, n;
	char		*buf;

	zip_error_init(&err);
	src = zip_source_buffer_create(data, len, 0, &err);
	if (src == NULL || (za = zip_open_from_source(src, ZIP_RDONLY,
	    &err)) == NULL) {
		fprintf(stderr, "fuzz: EPUB does not open as a zip\n");
		abort();
	}
	if (zip_stat_index(za, 0, 0, &st) == -1 ||
	    strcmp(st.name, "mimetype") != 0 || st.comp_method != ZIP_CM_STORE) {
		fprintf(stderr, "fuzz: mimetype is not first and stored\n");
		abort();
	}
	n = zip_get_num_entries(za, 0);
	for (i = 0; i < n; i++) {
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) == -1)
			abort();
		if (strstr(st.name, ".xhtml") == NULL &&
		    strstr(st.name, ".opf") == NULL &&
		    strstr(st.name, ".ncx") == NULL)
			continue;
		buf = xmalloc(st.size + 1);
		if ((zf = zip_fopen_index(za, (zip_uint64_t)i, 0)) == NULL ||
		    zip_fread(zf, buf, st.size) != (zip_int64_t)st.size)
			abort();
		zip_fclose(zf);
		check_xml(buf, st.size, st.name);
		free(buf);
	}
	zip_close(za);
	zip_error_fini(&err);
}
#endif

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	xhtml_quiet();
	diag_file = fopen("/dev/null", "w");
#if defined(FUZZ_epub)
	{
		char tmpl[] = "/tmp/guidebook-fuzz-XXXXXX";

		if ((dir = mkdtemp(tmpl)) == NULL)
			abort();
		dir = xstrdup(dir);
	}
#endif
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct book	 b;
#if defined(FUZZ_epub)
	struct bookindex ix;
	struct book_walk walk;
	struct epub_opts o = { 2 };
	char		*index, *out;
	size_t		 len;
	int		 rc;

	write_book(data, size);
	index = xasprintf("%s/README.md", dir);
	diag_errors = 0;
	walk.chapter = bookindex_chapter;
	walk.ctx = bookindex_start();
	rc = book_load(&b, index, 1767225600, BOOK_MAN, &walk);
	bookindex_finish(walk.ctx, &ix);
	if (rc == 0) {
		b.bookindex = &ix;
		if (epub_build(&b, &o, &out, &len) == 0) {
			check_epub(out, len);
			free(out);
		}
		b.bookindex = NULL;
	}
	bookindex_free(&ix);
	book_free(&b);
	free(index);
#else
	diag_errors = 0;
	if (book_load_buffer(&b, "fuzz.md", (const char *)data, size,
	    1767225600) == 0) {
# if defined(FUZZ_xhtml)
		xmlDocPtr	 doc;
		xmlChar		*mem;
		struct buf	 ours = { NULL, 0, 0 };
		int		 len;

		doc = xhtml_document(&b, &b.summary, NULL, 0, NULL, NULL);
		xhtml_serialize(doc, 0, &ours);
		check_xml(ours.ptr, ours.len, "XHTML");
		/* Our serialiser writes what libxml2's would. */
		xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 0);
		if (mem == NULL || (size_t)len != ours.len ||
		    memcmp(mem, ours.ptr, ours.len) != 0) {
			fprintf(stderr, "xhtml_serialize differs from "
			    "libxml2:\n%s\n----\n%s\n", ours.ptr,
			    mem ? (const char *)mem : "(null)");
			abort();
		}
		xmlFree(mem);
		buf_free(&ours);
		xmlFreeDoc(doc);
# else
		struct buf out = { NULL, 0, 0 };

		roff_page(&b, &b.summary, &out);
		check_man(&out);
		buf_free(&out);
# endif
	}
	book_free(&b);
#endif
	return 0;
}

#if defined(FUZZ_REPLAY)
int
main(int argc, char *argv[])
{
	struct buf	 in;
	FILE		*f;
	char		 chunk[8192];
	size_t		 n;
	int		 i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			perror(argv[i]);
			return 1;
		}
		memset(&in, 0, sizeof(in));
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_put(&in, chunk, n);
		fclose(f);
		/* libFuzzer never passes NULL, even for an empty input. */
		LLVMFuzzerTestOneInput((const uint8_t *)(in.ptr ? in.ptr : ""),
		    in.len);
		buf_free(&in);
	}
#if defined(FUZZ_epub)
	{
		DIR		*d;
		struct dirent	*de;
		char		*path;

		if ((d = opendir(dir)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				path = xasprintf("%s/%s", dir, de->d_name);
				unlink(path);
				free(path);
			}
			closedir(d);
		}
		rmdir(dir);
		free(dir);
	}
#endif
	fclose(diag_file);
	return 0;
}
#endif
