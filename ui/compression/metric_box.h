#pragma once
// The metric choice of the compression workspace and its config form: pcc, mae, atol and
// the importance-weighted wsqnr / wrel (issue #18). The weighted two are listed always
// (a config file may name them) but can be chosen only while an importance file is
// loaded: a run refuses them without one, as `wq` does without --importance.
#include "compression/mixed.h"

#include <QComboBox>
#include <QObject>
#include <QStandardItemModel>
#include <QString>

namespace qs {

inline void fillMetricBox(QComboBox* box)
{
    for (MetricKind k : {MetricKind::Pcc, MetricKind::Mae, MetricKind::Atol, MetricKind::Wsqnr, MetricKind::Wrel})
        box->addItem(QString::fromLatin1(metricName(k).data(), int(metricName(k).size())));
    box->setItemData(3, QObject::tr("Importance-weighted SQNR in dB (the minimum): needs an importance file"), Qt::ToolTipRole);
    box->setItemData(4, QObject::tr("Importance-weighted relative error (the maximum): needs an importance file"), Qt::ToolTipRole);
}

inline void setWeightedMetricsEnabled(QComboBox* box, bool enabled)
{
    auto* items = qobject_cast<QStandardItemModel*>(box->model());
    if (!items) return;
    for (int row = 0; row < items->rowCount(); ++row) {
        MetricKind k = MetricKind::Pcc;
        if (!parseMetric(items->item(row)->text().toStdString(), k) || !isWeighted(k)) continue;
        items->item(row)->setEnabled(enabled);
        items->item(row)->setToolTip(enabled ? QObject::tr("Importance-weighted: the loaded importance file weighs each "
                                                           "input channel's error by its E[x²]")
                                             : QObject::tr("Needs an importance file: File › Open importance…"));
    }
}

} // namespace qs
