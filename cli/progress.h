/* Progress bars on stderr for image imports and pulls (one line per layer), shown only on a terminal. */
#ifndef OSBOX_CLI_PROGRESS_H
#define OSBOX_CLI_PROGRESS_H

/* Install the bar if stderr is a tty (and not quiet); returns 1 if installed. */
int cli_progress_install(int quiet);
/* Erase the bar line. */
void cli_progress_done(void);

#endif
