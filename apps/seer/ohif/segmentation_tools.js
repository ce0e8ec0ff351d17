// OHIF's brush and eraser for the SEER loop, in the monai-label mode of the OHIF build inside the monailabel wheel.
//
// lib/server/ohif.py inserts this file, as it is, into that build's monai-label mode chunk, before the mode's
// definition. The stock mode puts OHIF's segmentation panel (panelSegmentationWithTools) nowhere and defines none
// of the buttons its "segmentationToolbox" section names, so that panel would show no tools; the patch adds the
// panel to the layout and registers these buttons. The tools themselves (CircularBrush, SphereBrush,
// CircularEraser, SphereEraser) are already in the mode's tool groups; the commands and the evaluator are OHIF's
// cornerstone extension's.
const seerBrushSize = (id, toolNames) => ({
  name: 'Radius (mm)', id: id, type: 'range', min: 0.5, max: 99.5, step: 0.5, value: 10,
  commands: {commandName: 'setBrushSize', commandOptions: {toolNames: toolNames}},
});
const seerBrushShape = (id, circle, sphere) => ({
  name: 'Shape', type: 'radio', id: id, value: circle,
  values: [{value: circle, label: 'Circle'}, {value: sphere, label: 'Sphere'}],
  commands: 'setToolActiveToolbar',
});
const seerSegmentationButtons = [{
  id: 'BrushTools',
  uiType: 'ohif.buttonGroup',
  props: {
    groupId: 'BrushTools',
    items: [{
      id: 'Brush', icon: 'icon-tool-brush', label: 'Brush',
      evaluate: {name: 'evaluate.cornerstone.segmentation', toolNames: ['CircularBrush', 'SphereBrush'],
        disabledText: 'Ask SEER for a segment first (the panel creates the segmentation).'},
      options: [seerBrushSize('brush-radius', ['CircularBrush', 'SphereBrush']),
        seerBrushShape('brush-mode', 'CircularBrush', 'SphereBrush')],
    }, {
      id: 'Eraser', icon: 'icon-tool-eraser', label: 'Eraser',
      evaluate: {name: 'evaluate.cornerstone.segmentation', toolNames: ['CircularEraser', 'SphereEraser']},
      options: [seerBrushSize('eraser-radius', ['CircularEraser', 'SphereEraser']),
        seerBrushShape('eraser-mode', 'CircularEraser', 'SphereEraser')],
    }],
  },
}];
