#pragma once
// TileMapView: the compression workspace's tile map of one tensor — the 32x32-tile
// assignment drawn by buildTileMapPlot (one colour per format, legend with tile counts
// and bytes) and, as a second layer, the per-tile metric of the assigned format as a
// heat map. Hovering a tile shows its index, format and per-tile PCC / MAE / ATOL in
// every candidate (from the TileSums; nothing is recomputed). Owns no data beyond a
// shared_ptr to the sums; setAssignment() redraws.
#include "compression/mixed.h"
#include "compression/tile_sums.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <string>
#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QVBoxLayout;

namespace qs {

class TileMapView : public QWidget {
    Q_OBJECT
public:
    explicit TileMapView(QWidget* parent = nullptr);

    void setSums(std::shared_ptr<const TileSums> sums, const std::string& tensor);
    // Redraws with this assignment (codes index sums->formats) and the title line.
    void setAssignment(const MixedResult& result, const QString& subtitle, MetricKind metric);
    void showMessage(const QString& text);
    // The message shown instead of the map ("" while the map shows).
    QString message() const;

    // The hover text of tile (th, tw); "" outside the tensor or without sums.
    QString tileText(int64_t th, int64_t tw) const;
    QCustomPlot* plot() const { return m_plot; }
    QComboBox* layerBox() const { return m_layer; }
    bool heatLayerShown() const;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void redraw();

    std::shared_ptr<const TileSums> m_sums;
    std::string m_tensor;
    MixedResult m_result;
    QString m_subtitle;
    MetricKind m_metric = MetricKind::Pcc;
    QComboBox* m_layer = nullptr;
    QLabel* m_message = nullptr;
    QVBoxLayout* m_plotBox = nullptr;
    QCustomPlot* m_plot = nullptr;
};

} // namespace qs
