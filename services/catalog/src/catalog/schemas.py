"""What the catalog reads (query strings, its data file) and what it answers, kept apart."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_PAGE_SIZE = 100
MAX_SKUS = 100
# Far past the last product; it keeps OFFSET inside what every database can count to.
MAX_PAGE = 10_000
SKU_PATTERN = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"
SKU_MAX_LENGTH = 64
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text outright: without this it would be a 500, not a 422.
    if any(ord(char) < 32 for char in value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_printable)]
Sku = Annotated[str, Field(pattern=SKU_PATTERN, max_length=SKU_MAX_LENGTH)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]


class ProductQuery(BaseModel):
    """The query string of `GET /api/products`. Unknown parameters are refused, so that a typo
    such as `pagesize=5` is a 422 naming it rather than a filter silently ignored."""

    model_config = ConfigDict(extra="forbid")

    q: Text = Field(
        "",
        max_length=200,
        description="Words that must all appear in the name or the description, in any case.",
    )
    category: Text = Field(
        "", max_length=64, description="A category slug; an unknown slug matches no product."
    )
    sku: list[Sku] = Field(
        default_factory=list,
        max_length=MAX_SKUS,
        description=(
            f"Only these products: repeat the parameter (at most {MAX_SKUS}). Unknown SKUs are"
            " left out; the rest come in the usual order, by name."
        ),
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Which page, from 1.")
    page_size: int | None = Field(
        None,
        ge=1,
        le=MAX_PAGE_SIZE,
        description="Items per page, 1 to 100: 20 by default, or with `sku` as many as asked for.",
    )


class ProductOut(BaseModel):
    sku: str = Field(examples=["KIT-MUG-001"])
    name: str = Field(examples=["Stoneware Mug, Speckled Oat"])
    description: str
    category: str = Field(description="The category's slug.", examples=["kitchen"])
    price_cents: int = Field(description="Price in minor units of `currency`.", examples=[1800])
    currency: str = Field(examples=["USD"])
    image_url: str = Field(
        description="Path of the product's picture on this service.",
        examples=["/images/KIT-MUG-001.svg"],
    )


class ProductPage(BaseModel):
    """Products sorted by name (case-insensitive), then SKU: pages never overlap."""

    items: list[ProductOut]
    page: int
    page_size: int
    total: int = Field(description="Products matching the filters, on all pages.")


class CategoryOut(BaseModel):
    slug: str = Field(examples=["coffee-tea"])
    name: str = Field(examples=["Coffee & Tea"])
    description: str
    product_count: int


class CategoryList(BaseModel):
    """Every category, in the store's navigation order."""

    items: list[CategoryOut]


class SeedCategory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=300)


class SeedProduct(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    category: Slug
    price_cents: int = Field(gt=0)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")


class SeedCatalog(BaseModel):
    """The data file the catalog is seeded from (`seed/products.json`)."""

    model_config = ConfigDict(extra="forbid")

    categories: list[SeedCategory]
    products: list[SeedProduct]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        slugs = [category.slug for category in self.categories]
        skus = [product.sku for product in self.products]
        if len(set(slugs)) != len(slugs):
            raise ValueError("category slugs must be unique")
        if len(set(skus)) != len(skus):
            raise ValueError("product SKUs must be unique")
        unknown = {product.category for product in self.products} - set(slugs)
        if unknown:
            raise ValueError(f"products name unknown categories: {sorted(unknown)}")
        return self
