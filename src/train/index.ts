// Public exports of src/train (filled as the train layer grows).
export {};
