public enum SluiceTesting {}
