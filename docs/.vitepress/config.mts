import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'fp8lm',
  description: 'FP8 training of GPT-style language models from TypeScript',
  cleanUrls: true,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/' },
      { text: 'Formats', link: '/formats' },
      { text: 'Backends', link: '/backends' },
    ],
    sidebar: [
      {
        text: 'fp8lm',
        items: [
          { text: 'Overview', link: '/' },
          { text: 'FP8 formats and scaling', link: '/formats' },
          { text: 'The Backend contract', link: '/backends' },
          { text: 'The WebGPU backend', link: '/kernels-webgpu' },
          { text: 'Benchmarks', link: '/benchmarks' },
        ],
      },
    ],
  },
});
