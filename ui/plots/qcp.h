#pragma once
// Includes QCustomPlot. Its header uses the Qt keywords (signals, slots, foreach, emit)
// that this project switches off with QT_NO_KEYWORDS; they are mapped to the Q_ macros
// for the duration of the include only. Include this instead of <qcustomplot.h>.
#include <QtGlobal>

#ifndef signals
#define signals Q_SIGNALS
#define QS_QCP_UNDEF_SIGNALS
#endif
#ifndef slots
#define slots Q_SLOTS
#define QS_QCP_UNDEF_SLOTS
#endif
#ifndef foreach
#define foreach Q_FOREACH
#define QS_QCP_UNDEF_FOREACH
#endif
#ifndef emit
#define emit Q_EMIT
#define QS_QCP_UNDEF_EMIT
#endif

#include <qcustomplot.h>

#ifdef QS_QCP_UNDEF_SIGNALS
#undef signals
#undef QS_QCP_UNDEF_SIGNALS
#endif
#ifdef QS_QCP_UNDEF_SLOTS
#undef slots
#undef QS_QCP_UNDEF_SLOTS
#endif
#ifdef QS_QCP_UNDEF_FOREACH
#undef foreach
#undef QS_QCP_UNDEF_FOREACH
#endif
#ifdef QS_QCP_UNDEF_EMIT
#undef emit
#undef QS_QCP_UNDEF_EMIT
#endif
