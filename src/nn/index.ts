// Public exports of src/nn (filled as the nn layer grows).
export {};
