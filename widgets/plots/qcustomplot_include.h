// qcustomplot.h under QT_NO_KEYWORDS: its header uses Qt's `signals`/`slots`/`emit`/`foreach`
// keywords, so they are mapped to the Q_ macros for this include only. Only widgets/plots/*.cpp
// (and tests that inspect a plot's canvas) include this file.
#pragma once

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
