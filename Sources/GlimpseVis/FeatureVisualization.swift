/// Feature visualization: parameterizations, transforms, objectives and the renderer.
public enum FeatureVisualization {}
