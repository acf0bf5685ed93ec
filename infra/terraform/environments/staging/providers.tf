locals {
  # Every taggable resource carries these, through the provider: modules never repeat them.
  default_tags = {
    Environment = "staging"
    Project     = "hello-service"
    Owner       = var.owner
    CostCenter  = var.cost_center
    ManagedBy   = "terraform"
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.default_tags
  }
}
