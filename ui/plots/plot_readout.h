#pragma once
// The hover read-out of the plots (#15 §4): what lies under the mouse, as one line of
// text. The cursor's position in axis coordinates, then for each visible graph its
// nearest point: a line or step curve by x (the data point whose key is nearest the
// cursor's x), a scatter series by distance on screen (within 14 px; its point label,
// e.g. the tensor, when the builder set one with setPointLabels()); a colour map's cell
// and value. Pure on a QCustomPlot, so tests drive it with pixel positions.
#include <QPointF>
#include <QString>
#include <QStringList>

class QCustomPlot;
class QCPGraph;
class QLabel;

namespace qs {

// Labels of a graph's points in the order of its data (sorted by key): builders that put
// several tensors into one series name each point (shown by the read-out).
void setPointLabels(QCPGraph* graph, const QStringList& labels);

QString plotReadout(QCustomPlot* plot, const QPointF& pixel);

// Updates `label` with plotReadout() while the mouse moves over `plot` (mouse tracking
// on); the label's hint text comes back when the mouse leaves.
void installReadout(QCustomPlot* plot, QLabel* label, const QString& hint);

} // namespace qs
