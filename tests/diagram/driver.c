/*
 * Test driver for diagram.c: a drawing on standard input, its SVG or
 * its words on standard output.
 *
 *	diagram-driver -t svg [TITLE]
 *	diagram-driver -t words
 *
 * Exit status: 0, or 2 for bad usage, 1 when input or output fails.
 */
#include <stdio.h>
#include <string.h>

#include "diagram.h"
#include "util.h"

static int
usage(void)
{
	fputs("usage: diagram-driver -t svg [TITLE]\n"
	    "       diagram-driver -t words\n", stderr);
	return 2;
}

int
main(int argc, char *argv[])
{
	struct buf	 in = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	struct diagram	*d;
	size_t		 n;
	int		 svg, rc = 0;

	if (argc < 3 || strcmp(argv[1], "-t") != 0)
		return usage();
	if (strcmp(argv[2], "svg") == 0 && argc <= 4)
		svg = 1;
	else if (strcmp(argv[2], "words") == 0 && argc == 3)
		svg = 0;
	else
		return usage();

	do {
		buf_grow(&in, 65536);
		n = fread(in.ptr + in.len, 1, in.cap - in.len - 1, stdin);
		in.len += n;
	} while (n > 0);
	if (ferror(stdin)) {
		perror("diagram-driver: stdin");
		buf_free(&in);
		return 1;
	}

	d = diagram_parse(in.ptr, in.len);
	if (svg)
		diagram_svg(d, argc == 4 ? argv[3] : NULL, &out);
	else {
		diagram_words(d, &out);
		buf_putc(&out, '\n');
	}
	if (fwrite(out.ptr, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		perror("diagram-driver: stdout");
		rc = 1;
	}
	diagram_free(d);
	buf_free(&out);
	buf_free(&in);
	return rc;
}
