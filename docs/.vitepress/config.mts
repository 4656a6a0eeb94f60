import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'fp8lm',
  description: 'FP8 training of GPT-style language models from TypeScript',
  cleanUrls: true,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/' },
      { text: 'Try it', link: '/try' },
      { text: 'Formats', link: '/formats' },
      { text: 'Backends', link: '/backends' },
    ],
    sidebar: [
      {
        text: 'fp8lm',
        items: [
          { text: 'Overview', link: '/' },
          { text: 'Train in your browser', link: '/try' },
          { text: 'FP8 formats and scaling', link: '/formats' },
          { text: 'The Backend contract', link: '/backends' },
          { text: 'The WebGPU backend', link: '/kernels-webgpu' },
          { text: 'Benchmarks', link: '/benchmarks' },
        ],
      },
      {
        // Each package's README, included as it is (the READMEs' examples run in the tests).
        text: 'Packages',
        items: [
          { text: '@fp8lm/tensor-interface', link: '/packages/tensor-interface' },
          { text: '@fp8lm/fp8-format', link: '/packages/fp8-format' },
          { text: '@fp8lm/scaling', link: '/packages/scaling' },
          { text: '@fp8lm/optimizer', link: '/packages/optimizer' },
          { text: '@fp8lm/kernels-cpu', link: '/packages/kernels-cpu' },
          { text: '@fp8lm/kernels-webgpu', link: '/kernels-webgpu' },
          { text: '@fp8lm/gpt (trainer, fp8lm CLI)', link: '/packages/gpt' },
        ],
      },
    ],
  },
});
